import assert from "node:assert/strict";
import { type Config, parseConfig } from "../../src/config/mod.ts";

type Env = Record<string, string | undefined>;

function config(args: string[], env: Env = {}): Config {
  const result = parseConfig(args, env, { cwd: "/work" });
  if (!result.ok) assert.fail(`unexpected errors: ${result.errors.join("; ")}`);
  if (result.action !== "run") assert.fail(`unexpected action ${result.action}`);
  return result.config;
}

function errors(args: string[], env: Env = {}): readonly string[] {
  const result = parseConfig(args, env, { cwd: "/work" });
  if (result.ok) assert.fail(`expected errors, got ${JSON.stringify(result)}`);
  return result.errors;
}

const NO_TLS = "is not a loopback address and has no TLS: set --tls-cert-file and " +
  "--tls-key-file, or set --allow-insecure-non-loopback to accept an unauthenticated, " +
  "unencrypted listener";

Deno.test("parseConfig() requires a gRPC listener when both are disabled", () => {
  assert.deepEqual(errors(["--unix-socket=", "--grpc-address="]), [
    "no gRPC listener: set --unix-socket or --grpc-address",
  ]);
  assert.deepEqual(errors(["--unix-socket=", "--grpc-address=", "--consumer-socket=/r/c.sock"]), [
    "no gRPC listener: set --unix-socket or --grpc-address",
  ]);
  assert.equal(config(["--unix-socket="]).grpcAddress, "127.0.0.1:50051");
  assert.equal(config(["--grpc-address="]).unixSocket, "/var/run/device-api/device.sock");
});

Deno.test("parseConfig() requires the two sockets to differ, after resolving paths", () => {
  assert.deepEqual(errors(["--unix-socket=/r/d.sock", "--consumer-socket=/r/d.sock"]), [
    '--unix-socket and --consumer-socket must differ: both are "/r/d.sock"',
  ]);
  assert.deepEqual(errors(["--unix-socket=/work/d.sock", "--consumer-socket=d.sock"]), [
    '--unix-socket and --consumer-socket must differ: both are "/work/d.sock"',
  ]);
});

Deno.test("parseConfig() reports ports shared on overlapping hosts, naming both flags", () => {
  assert.deepEqual(errors(["--metrics-port=8081"]), [
    "--health-port and --metrics-port both use port 8081 on overlapping hosts " +
    "(127.0.0.1 and 127.0.0.1): give them different ports",
  ]);
  assert.deepEqual(errors(["--grpc-address=127.0.0.1:9090"]), [
    "--grpc-address and --metrics-port both use port 9090 on overlapping hosts " +
    "(127.0.0.1 and 127.0.0.1): give them different ports",
  ]);
  const clashes: [string, string][] = [
    ["0.0.0.0", "127.0.0.1"],
    ["::", "127.0.0.1"],
    ["::", "::1"],
    ["localhost", "::1"],
    ["localhost", "127.0.0.1"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
  ];
  for (const [health, metrics] of clashes) {
    const got = errors([
      `--health-bind-address=${health}`,
      `--metrics-bind-address=${metrics}`,
      "--health-port=7000",
      "--metrics-port=7000",
    ]);
    assert.equal(got.length, 1, `${health} vs ${metrics}`);
    assert.match(got[0] ?? "", /^--health-port and --metrics-port both use port 7000/);
  }
});

Deno.test("parseConfig() allows equal ports on disjoint hosts and port 0 anywhere", () => {
  const disjoint: [string, string][] = [
    ["127.0.0.1", "127.0.0.2"],
    ["::1", "127.0.0.1"],
    ["0.0.0.0", "::1"],
  ];
  for (const [health, metrics] of disjoint) {
    const got = config([
      `--health-bind-address=${health}`,
      `--metrics-bind-address=${metrics}`,
      "--health-port=7000",
      "--metrics-port=7000",
    ]);
    assert.equal(got.metricsPort, 7000);
  }
  assert.equal(
    config(["--health-port=0", "--metrics-port=0", "--grpc-address=127.0.0.1:0"]).healthPort,
    0,
  );
});

Deno.test("parseConfig() names the variable that set a clashing port", () => {
  assert.deepEqual(errors([], { DEVICE_API_HEALTH_PORT: "9090" }), [
    "--health-port (from DEVICE_API_HEALTH_PORT) and --metrics-port both use port 9090 on " +
    "overlapping hosts (127.0.0.1 and 127.0.0.1): give them different ports",
  ]);
});

Deno.test("parseConfig() refuses a non-loopback gRPC address without TLS or opt-in", () => {
  assert.deepEqual(errors(["--grpc-address=0.0.0.0:50051"]), [
    `--grpc-address=0.0.0.0:50051 ${NO_TLS}`,
  ]);
  assert.deepEqual(errors([], { DEVICE_API_GRPC_ADDRESS: "[::]:50051" }), [
    `--grpc-address=[::]:50051 (from DEVICE_API_GRPC_ADDRESS) ${NO_TLS}`,
  ]);
  assert.equal(errors(["--grpc-address=10.0.0.5:50051"]).length, 1);
  const insecure = config(["--grpc-address=0.0.0.0:50051", "--allow-insecure-non-loopback"]);
  assert.equal(insecure.allowInsecureNonLoopback, true);
  const tls = config([
    "--grpc-address=[::]:50051",
    "--tls-cert-file=/etc/tls/crt.pem",
    "--tls-key-file=/etc/tls/key.pem",
  ]);
  assert.equal(tls.tlsCertFile, "/etc/tls/crt.pem");
  assert.equal(tls.tlsKeyFile, "/etc/tls/key.pem");
  for (const loopback of ["127.0.0.2:1", "localhost:1", "[::1]:1", "[::ffff:127.0.0.9]:1"]) {
    assert.equal(config([`--grpc-address=${loopback}`]).allowInsecureNonLoopback, false);
  }
});

Deno.test("parseConfig() requires TLS certificate and key together", () => {
  assert.deepEqual(errors(["--tls-cert-file=/t/crt.pem"]), [
    "--tls-cert-file requires --tls-key-file",
  ]);
  assert.deepEqual(errors(["--tls-key-file=/t/key.pem"]), [
    "--tls-key-file requires --tls-cert-file",
  ]);
  assert.deepEqual(errors(["--tls-client-ca-file=/t/ca.pem"]), [
    "--tls-client-ca-file requires --tls-cert-file and --tls-key-file",
  ]);
  assert.deepEqual(errors(["--tls-client-ca-file=/t/ca.pem", "--tls-cert-file=/t/crt.pem"]), [
    "--tls-cert-file requires --tls-key-file",
    "--tls-client-ca-file requires --tls-cert-file and --tls-key-file",
  ]);
  const mtls = config([
    "--tls-cert-file=tls/crt.pem",
    "--tls-key-file=/t/key.pem",
    "--tls-client-ca-file=/t/ca.pem",
  ]);
  assert.equal(mtls.tlsCertFile, "/work/tls/crt.pem");
  assert.equal(mtls.tlsClientCaFile, "/t/ca.pem");
});

Deno.test("parseConfig() rejects TLS files when the TCP listener is off", () => {
  assert.deepEqual(
    errors(["--grpc-address=", "--tls-cert-file=/t/crt.pem", "--tls-key-file=/t/key.pem"]),
    ["--tls-cert-file, --tls-key-file set but --grpc-address is empty: TLS applies only to the TCP listener"],
  );
});

Deno.test("parseConfig() keeps objects within messages and readiness within max GPUs", () => {
  assert.deepEqual(errors(["--max-message-bytes=2048", "--max-object-bytes=4096"]), [
    "--max-object-bytes=4096 must not exceed --max-message-bytes=2048",
  ]);
  assert.deepEqual(errors(["--max-message-bytes=2048"]), [
    "--max-object-bytes=65536 must not exceed --max-message-bytes=2048",
  ]);
  assert.deepEqual(errors(["--max-gpus=4"], { DEVICE_API_READINESS_MIN_GPUS: "8" }), [
    "--readiness-min-gpus=8 (from DEVICE_API_READINESS_MIN_GPUS) must not exceed --max-gpus=4",
  ]);
  assert.equal(config(["--max-gpus=4", "--readiness-min-gpus=4"]).readinessMinGpus, 4);
});

Deno.test("parseConfig() rejects an XID listed as both ignored and critical", () => {
  assert.deepEqual(errors(["--nvml-ignored-xids=13,31,43", "--nvml-critical-xids=31,43,79"]), [
    "--nvml-ignored-xids and --nvml-critical-xids both list XID 31, 43: an XID is either " +
    "ignored or critical",
  ]);
  const all = config(["--nvml-ignored-xids=all", "--nvml-critical-xids=48"]);
  assert.equal(all.ignoreAllXids, true);
  assert.deepEqual(all.nvmlCriticalXids, [48]);
});

Deno.test("parseConfig() rejects an NVML call timeout under 100ms", () => {
  assert.deepEqual(errors(["--nvml-call-timeout=50ms"]), [
    "--nvml-call-timeout=50ms must be at least 100ms",
  ]);
  assert.equal(config(["--nvml-call-timeout=100ms"]).nvmlCallTimeoutMs, 100);
});

Deno.test("parseConfig() rejects an NVML poll interval under 100ms but 0s", () => {
  assert.deepEqual(errors(["--nvml-poll-interval=10ms"]), [
    "--nvml-poll-interval=10ms must be 0s (off) or at least 100ms",
  ]);
  assert.equal(config(["--nvml-poll-interval=0s"]).nvmlPollIntervalMs, 0);
});

Deno.test("parseConfig() skips cross-flag checks on values already reported", () => {
  assert.deepEqual(errors(["--max-message-bytes=10"]), [
    'invalid value "10" for flag --max-message-bytes: must be an integer between 1024 and 67108864',
  ]);
  assert.deepEqual(errors(["--unix-socket=", "--grpc-address=nope"]), [
    'invalid value "nope" for flag --grpc-address: must be HOST:PORT with an IP address or ' +
    "localhost as HOST and a port between 0 and 65535, such as 127.0.0.1:50051 or [::1]:50051",
  ]);
  assert.equal(errors(["--metrics-port=x", "--health-port=9090"]).length, 1);
});

Deno.test("parseConfig() reports several cross-flag problems together", () => {
  assert.deepEqual(
    errors([
      "--grpc-address=0.0.0.0:8081",
      "--tls-client-ca-file=/t/ca.pem",
      "--max-gpus=1",
      "--readiness-min-gpus=2",
    ]),
    [
      "--grpc-address and --health-port both use port 8081 on overlapping hosts " +
      "(0.0.0.0 and 127.0.0.1): give them different ports",
      "--tls-client-ca-file requires --tls-cert-file and --tls-key-file",
      `--grpc-address=0.0.0.0:8081 ${NO_TLS}`,
      "--readiness-min-gpus=2 must not exceed --max-gpus=1",
    ],
  );
});
