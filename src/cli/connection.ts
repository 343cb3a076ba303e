/**
 * Where the CLI connects and with which deadline, from its flags and the server's environment
 * variables. The environment is passed in; only a relative socket path reads the working
 * directory.
 *
 * @module
 */
import { isIP } from "node:net";
import { type FlagDefinition, serverFlag } from "../config/mod.ts";
import { DEFAULT_PROVIDER } from "./cli_flags.ts";
import { UsageError } from "./errors.ts";

/** How to reach the server. */
export interface Connection {
  /** grpc-js target: `unix:///path` or `HOST:PORT`. */
  readonly target: string;
  /** Deadline of each unary request in milliseconds. */
  readonly timeoutMs: number;
  /** Provider identity header value. */
  readonly provider: string;
  /** TLS files as given; absent for plaintext. */
  readonly tls?: TlsFiles;
}

/** The PEM files of a TLS connection. */
export interface TlsFiles {
  /** CA bundle that verifies the server. */
  readonly caFile: string;
  /** Client certificate and key for mutual TLS; "" for none. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Name checked against the server certificate; "" checks the target's host. */
  readonly serverName: string;
}

/** Connection flags as given on the command line; undefined when absent. */
export interface ConnectionFlags {
  readonly "unix-socket"?: string;
  readonly "grpc-address"?: string;
  readonly timeout?: string;
  readonly provider?: string;
  readonly "tls-ca-file"?: string;
  readonly "tls-cert-file"?: string;
  readonly "tls-key-file"?: string;
  readonly "tls-server-name"?: string;
}

/** Reads an environment variable; undefined when unset. */
export type EnvLookup = (name: string) => string | undefined;

/**
 * Picks the server's address: `--grpc-address` when given, else the Unix socket (flag, then
 * `DEVICE_API_UNIX_SOCKET`, then the server's default), else, when the socket is disabled
 * (empty), the TCP listener the server's environment configures.
 *
 * @param flags the connection flags given
 * @param env lookup of DEVICE_API_UNIX_SOCKET and DEVICE_API_GRPC_ADDRESS
 * @throws {UsageError} when a value is malformed or no address is left
 */
export function resolveConnection(flags: ConnectionFlags, env: EnvLookup): Connection {
  const timeoutMs = flags.timeout === undefined ? 10_000 : parseTimeout(flags.timeout);
  const provider = flags.provider ?? DEFAULT_PROVIDER;
  const tls = tlsOf(flags);
  const base = { timeoutMs, provider };
  const withTls = (target: string): Connection => {
    if (tls === undefined) return { ...base, target };
    if (flags["tls-server-name"] === "") {
      throw new UsageError('invalid value "" for flag --tls-server-name: must be a host name');
    }
    const host = target.slice(0, target.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
    const serverName = flags["tls-server-name"] ?? (isIP(host) ? "localhost" : "");
    return { ...base, target, tls: { ...tls, serverName } };
  };
  if (flags["grpc-address"] !== undefined) {
    return withTls(tcpTarget(flags["grpc-address"], "flag --grpc-address"));
  }
  const socketFlag = serverFlag("unix-socket");
  const socketRaw = flags["unix-socket"] ?? env(socketFlag.env) ?? socketFlag.default;
  const socketWhere = flags["unix-socket"] !== undefined ? "flag --unix-socket" : socketFlag.env;
  if (socketRaw !== "") {
    if (tls !== undefined) {
      throw new UsageError("the --tls-* flags need --grpc-address: the Unix socket is plaintext");
    }
    const { unixSocket } = apply(socketFlag, socketRaw, socketWhere);
    return { ...base, target: `unix://${unixSocket}` };
  }
  const tcpFlag = serverFlag("grpc-address");
  const tcpRaw = env(tcpFlag.env) ?? tcpFlag.default;
  if (tcpRaw === "") {
    throw new UsageError(
      "no server address: the Unix socket and the TCP listener are both disabled in the " +
        "environment; give --unix-socket or --grpc-address",
    );
  }
  return withTls(tcpTarget(tcpRaw, tcpFlag.env));
}

function tlsOf(flags: ConnectionFlags): Omit<TlsFiles, "serverName"> | undefined {
  const path = (name: "tls-ca-file" | "tls-cert-file" | "tls-key-file"): string => {
    const raw = flags[name];
    if (raw === undefined) return "";
    if (raw === "") throw new UsageError(`invalid value "" for flag --${name}: must be a file`);
    return raw;
  };
  const [caFile, certFile, keyFile] = [
    path("tls-ca-file"),
    path("tls-cert-file"),
    path("tls-key-file"),
  ];
  if ((certFile === "") !== (keyFile === "")) {
    throw new UsageError("--tls-cert-file and --tls-key-file go together");
  }
  if (caFile === "") {
    if (flags["tls-server-name"] !== undefined) {
      throw new UsageError("--tls-server-name needs --tls-ca-file");
    }
    if (certFile === "") return undefined;
    throw new UsageError("--tls-cert-file needs --tls-ca-file, which verifies the server");
  }
  return { caFile, certFile, keyFile };
}

function tcpTarget(raw: string, where: string): string {
  const { grpcAddress } = apply(serverFlag("grpc-address"), raw, where);
  if (grpcAddress === undefined || grpcAddress === "" || grpcAddress.endsWith(":0")) {
    throw new UsageError(
      `invalid value ${JSON.stringify(raw)} for ${where}: must be HOST:PORT of a listening ` +
        "server, such as 127.0.0.1:50051",
    );
  }
  return grpcAddress;
}

// The server's own parser checks the value, so both accept exactly the same addresses.
function apply(flag: FlagDefinition, raw: string, where: string) {
  try {
    return flag.apply(raw, { cwd: () => Deno.cwd() });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new UsageError(`invalid value ${JSON.stringify(raw)} for ${where}: ${reason}`);
  }
}

const DURATION = /^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `--timeout` as a Go duration (`500ms`, `10s`, `1m30s`), between 1ms and 24h.
 *
 * @throws {UsageError} for anything else
 */
export function parseTimeout(raw: string): number {
  const reason = `invalid value ${JSON.stringify(raw)} for flag --timeout: ` +
    "must be a duration between 1ms and 24h, such as 500ms, 10s or 1m";
  if (!DURATION.test(raw)) throw new UsageError(reason);
  let ms = 0;
  for (const [, value, unit] of raw.matchAll(/([0-9.]+)(ms|s|m|h)/g)) {
    ms += Number(value) * (UNIT_MS[unit ?? ""] ?? 0);
  }
  ms = Math.round(ms);
  if (ms < 1 || ms > 24 * 3_600_000) throw new UsageError(reason);
  return ms;
}
