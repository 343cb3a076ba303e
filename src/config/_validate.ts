/** Checks that span several flags; each problem yields one message naming the flags involved. */

import type { Config } from "./config.ts";
import { envName } from "./_flag_kinds.ts";
import { hostsOverlap, isLoopback, parseHostPort } from "./_net.ts";

/** What the single-value pass learned: flags whose values were rejected, and where values came from. */
export interface CheckContext {
  /** Flags whose own value was invalid; checks involving them are skipped. */
  readonly failed: ReadonlySet<string>;
  /** Flags set by the command line ("flag") or the environment ("env"); others are defaults. */
  readonly sources: ReadonlyMap<string, "flag" | "env">;
}

/** Returns every cross-flag problem in config, skipping checks on values already reported. */
export function checkConfig(config: Config, context: CheckContext): string[] {
  const errors: string[] = [];
  const usable = (...names: string[]): boolean => names.every((n) => !context.failed.has(n));
  const from = (name: string): string =>
    context.sources.get(name) === "env" ? ` (from ${envName(name)})` : "";
  const label = (name: string): string => `--${name}${from(name)}`;
  const labelValue = (name: string, value: string | number): string =>
    `--${name}=${value}${from(name)}`;

  if (
    usable("unix-socket", "grpc-address") && config.unixSocket === "" && config.grpcAddress === ""
  ) {
    errors.push(`no gRPC listener: set ${label("unix-socket")} or ${label("grpc-address")}`);
  }
  if (
    usable("unix-socket", "consumer-socket") && config.unixSocket !== "" &&
    config.unixSocket === config.consumerSocket
  ) {
    errors.push(
      `${label("unix-socket")} and ${label("consumer-socket")} must differ: both are ` +
        JSON.stringify(config.unixSocket),
    );
  }

  // Ports: two listeners clash when their ports are equal and non-zero and their hosts overlap.
  const listeners: { flag: string; host: string; port: number }[] = [];
  if (usable("grpc-address") && config.grpcAddress !== "") {
    listeners.push({ flag: "grpc-address", ...parseHostPort(config.grpcAddress) });
  }
  if (usable("health-bind-address", "health-port")) {
    listeners.push({
      flag: "health-port",
      host: config.healthBindAddress,
      port: config.healthPort,
    });
  }
  if (usable("metrics-bind-address", "metrics-port")) {
    listeners.push({
      flag: "metrics-port",
      host: config.metricsBindAddress,
      port: config.metricsPort,
    });
  }
  listeners.forEach((a, i) => {
    for (const b of listeners.slice(i + 1)) {
      if (a.port !== 0 && a.port === b.port && hostsOverlap(a.host, b.host)) {
        errors.push(
          `${label(a.flag)} and ${label(b.flag)} both use port ${a.port} on overlapping hosts ` +
            `(${a.host} and ${b.host}): give them different ports`,
        );
      }
    }
  });

  const tlsFlags = ["tls-cert-file", "tls-key-file", "tls-client-ca-file"];
  if (usable(...tlsFlags)) {
    const { tlsCertFile: cert, tlsKeyFile: key, tlsClientCaFile: ca } = config;
    if (cert !== "" && key === "") {
      errors.push(`${label("tls-cert-file")} requires --tls-key-file`);
    }
    if (key !== "" && cert === "") {
      errors.push(`${label("tls-key-file")} requires --tls-cert-file`);
    }
    if (ca !== "" && (cert === "" || key === "")) {
      errors.push(`${label("tls-client-ca-file")} requires --tls-cert-file and --tls-key-file`);
    }
    const setTls = tlsFlags.filter((_, i) => [cert, key, ca][i] !== "");
    if (usable("grpc-address") && config.grpcAddress === "" && setTls.length > 0) {
      errors.push(
        `${setTls.map(label).join(", ")} set but ${label("grpc-address")} is empty: ` +
          "TLS applies only to the TCP listener",
      );
    }
    if (
      usable("grpc-address", "allow-insecure-non-loopback") && config.grpcAddress !== "" &&
      cert === "" && key === "" && !config.allowInsecureNonLoopback &&
      !isLoopback(parseHostPort(config.grpcAddress).host)
    ) {
      errors.push(
        `${labelValue("grpc-address", config.grpcAddress)} is not a loopback ` +
          "address and has no TLS: set --tls-cert-file and --tls-key-file, or set " +
          "--allow-insecure-non-loopback to accept an unauthenticated, unencrypted listener",
      );
    }
  }

  if (
    usable("max-object-bytes", "max-message-bytes") &&
    config.maxObjectBytes > config.maxMessageBytes
  ) {
    errors.push(
      `${labelValue("max-object-bytes", config.maxObjectBytes)} must not exceed ` +
        labelValue("max-message-bytes", config.maxMessageBytes),
    );
  }
  if (usable("readiness-min-gpus", "max-gpus") && config.readinessMinGpus > config.maxGpus) {
    errors.push(
      `${labelValue("readiness-min-gpus", config.readinessMinGpus)} must not exceed ` +
        labelValue("max-gpus", config.maxGpus),
    );
  }
  if (usable("nvml-call-timeout") && config.nvmlCallTimeoutMs < 100) {
    errors.push(
      `${labelValue("nvml-call-timeout", `${config.nvmlCallTimeoutMs}ms`)} must be at least 100ms`,
    );
  }
  if (
    usable("nvml-poll-interval") && config.nvmlPollIntervalMs > 0 &&
    config.nvmlPollIntervalMs < 100
  ) {
    errors.push(
      `${
        labelValue("nvml-poll-interval", `${config.nvmlPollIntervalMs}ms`)
      } must be 0s (off) or at least 100ms`,
    );
  }
  if (usable("nvml-ignored-xids", "nvml-critical-xids")) {
    const both = config.nvmlCriticalXids.filter((x) => config.nvmlIgnoredXids.includes(x));
    if (both.length > 0) {
      errors.push(
        `${label("nvml-ignored-xids")} and ${label("nvml-critical-xids")} both list XID ` +
          `${both.join(", ")}: an XID is either ignored or critical`,
      );
    }
  }
  return errors;
}
