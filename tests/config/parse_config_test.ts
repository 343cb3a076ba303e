import assert from "node:assert/strict";
import { type Config, DEFAULT_CONFIG, FLAGS, parseConfig } from "../../src/config/mod.ts";

type Env = Record<string, string | undefined>;

function run(args: string[], env: Env = {}): { config: Config; args: readonly string[] } {
  const result = parseConfig(args, env, { cwd: "/work" });
  if (!result.ok) assert.fail(`unexpected errors: ${result.errors.join("; ")}`);
  if (result.action !== "run") assert.fail(`unexpected action ${result.action}`);
  return { config: result.config, args: result.args };
}

function config(args: string[], env: Env = {}): Config {
  return run(args, env).config;
}

function errors(args: string[], env: Env = {}): readonly string[] {
  const result = parseConfig(args, env, { cwd: "/work" });
  if (result.ok) assert.fail(`expected errors, got ${JSON.stringify(result)}`);
  return result.errors;
}

/** One non-default value per flag and the field it must produce. */
const SAMPLES: [flag: string, raw: string, expected: Partial<Config>][] = [
  ["unix-socket", "/run/d/x.sock", { unixSocket: "/run/d/x.sock" }],
  ["socket-mode", "0600", { socketMode: 0o600 }],
  ["consumer-socket", "/run/d/ro.sock", { consumerSocket: "/run/d/ro.sock" }],
  ["consumer-socket-mode", "0644", { consumerSocketMode: 0o644 }],
  ["grpc-address", "[::1]:6000", { grpcAddress: "[::1]:6000" }],
  ["allow-insecure-non-loopback", "true", { allowInsecureNonLoopback: true }],
  ["health-bind-address", "::1", { healthBindAddress: "::1" }],
  ["health-port", "18081", { healthPort: 18081 }],
  ["metrics-bind-address", "0.0.0.0", { metricsBindAddress: "0.0.0.0" }],
  ["metrics-port", "19090", { metricsPort: 19090 }],
  ["shutdown-timeout", "1m30s", { shutdownTimeoutMs: 90_000 }],
  ["shutdown-delay", "5s", { shutdownDelayMs: 5000 }],
  ["log-format", "json", { logFormat: "json" }],
  ["v", "4", { verbosity: 4 }],
  ["node-name", "node-a.example", { nodeName: "node-a.example" }],
  ["state-dir", "/srv/das-state", { stateDir: "/srv/das-state" }],
  ["max-gpus", "8", { maxGpus: 8 }],
  ["max-conditions", "4", { maxConditions: 4 }],
  ["max-object-bytes", "2048", { maxObjectBytes: 2048 }],
  ["max-message-bytes", "1048576", { maxMessageBytes: 1048576 }],
  ["max-watchers", "3", { maxWatchers: 3 }],
  ["watch-queue-size", "16", { watchQueueSize: 16 }],
  ["watch-history-size", "100", { watchHistorySize: 100 }],
  ["watch-history-bytes", "8388608", { watchHistoryBytes: 8388608 }],
  ["watch-queue-bytes", "65536", { watchQueueBytes: 65536 }],
  ["enable-nvml-provider", "false", { enableNvmlProvider: false }],
  ["nvml-driver-root", "/run/nvidia/driver", { nvmlDriverRoot: "/run/nvidia/driver" }],
  ["nvml-library-path", "/opt/lib/libnvidia-ml.so.1", {
    nvmlLibraryPath: "/opt/lib/libnvidia-ml.so.1",
  }],
  ["nvml-ignored-xids", "all", { ignoreAllXids: true, nvmlIgnoredXids: [] }],
  ["nvml-critical-xids", "79,48", { nvmlCriticalXids: [48, 79] }],
  ["nvml-call-timeout", "2s", { nvmlCallTimeoutMs: 2000 }],
  ["nvml-poll-interval", "0s", { nvmlPollIntervalMs: 0 }],
  ["readiness-min-gpus", "2", { readinessMinGpus: 2 }],
  ["readiness-grace-period", "2m", { readinessGracePeriodMs: 120_000 }],
  ["max-watchers-per-connection", "8", { maxWatchersPerConnection: 8 }],
  ["provider-reserved-watchers", "16", { providerReservedWatchers: 16 }],
  ["max-connections", "8", { maxConnections: 8 }],
  ["max-concurrent-streams", "100", { maxConcurrentStreams: 100 }],
  ["max-session-memory-mib", "4", { maxSessionMemoryMib: 4 }],
  ["keepalive-time", "30s", { keepaliveTimeMs: 30_000 }],
  ["keepalive-timeout", "5s", { keepaliveTimeoutMs: 5000 }],
  ["max-connection-idle", "1h", { maxConnectionIdleMs: 3_600_000 }],
  ["max-health-watchers", "10", { maxHealthWatchers: 10 }],
  ["max-reflection-streams", "2", { maxReflectionStreams: 2 }],
];

Deno.test("parseConfig() returns DEFAULT_CONFIG when nothing is set", () => {
  const { config: got, args } = run([]);
  assert.deepEqual(got, DEFAULT_CONFIG);
  assert.deepEqual(args, []);
  assert.equal(DEFAULT_CONFIG.unixSocket, "/var/run/device-api/device.sock");
  assert.equal(DEFAULT_CONFIG.socketMode, 0o660);
  assert.equal(DEFAULT_CONFIG.consumerSocketMode, 0o666);
  assert.equal(DEFAULT_CONFIG.grpcAddress, "127.0.0.1:50051");
  assert.equal(DEFAULT_CONFIG.shutdownTimeoutMs, 30_000);
  assert.equal(DEFAULT_CONFIG.maxMessageBytes, 4_194_304);
  assert.equal(DEFAULT_CONFIG.enableNvmlProvider, true);
  assert.equal(DEFAULT_CONFIG.logFormat, "text");
});

Deno.test("DEFAULT_CONFIG sets every field and is frozen", () => {
  const values = Object.values(DEFAULT_CONFIG);
  assert.equal(values.length, 48);
  assert.ok(values.every((v) => v !== undefined));
  assert.ok(Object.isFrozen(DEFAULT_CONFIG));
  assert.ok(Object.isFrozen(DEFAULT_CONFIG.nvmlIgnoredXids));
});

Deno.test("parseConfig() reads every flag from the command line", () => {
  assert.equal(SAMPLES.length + 3, FLAGS.length); // the three TLS files: validate_test.ts
  for (const [flag, raw, expected] of SAMPLES) {
    const got = config([`--${flag}=${raw}`]);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(got[key as keyof Config], value, `--${flag}`);
    }
  }
});

Deno.test("parseConfig() reads every flag from its DEVICE_API_ variable", () => {
  for (const [flag, raw, expected] of SAMPLES) {
    const env = `DEVICE_API_${flag.toUpperCase().replaceAll("-", "_")}`;
    const got = config([], { [env]: raw });
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(got[key as keyof Config], value, env);
    }
  }
});

Deno.test("parseConfig() prefers the flag, then the variable, then the default", () => {
  const env = { DEVICE_API_METRICS_PORT: "9200", DEVICE_API_V: "3" };
  assert.equal(config(["--metrics-port=9100"], env).metricsPort, 9100);
  assert.equal(config([], env).metricsPort, 9200);
  assert.equal(config([]).metricsPort, 9090);
  assert.equal(config(["-v", "5"], env).verbosity, 5);
  assert.equal(config([], env).verbosity, 3);
  assert.equal(config([], { DEVICE_API_ENABLE_NVML_PROVIDER: "false" }).enableNvmlProvider, false);
  assert.equal(
    config(["--enable-nvml-provider"], { DEVICE_API_ENABLE_NVML_PROVIDER: "false" })
      .enableNvmlProvider,
    true,
  );
});

Deno.test("parseConfig() does not report a bad variable that a flag overrides", () => {
  assert.equal(config(["--metrics-port=1"], { DEVICE_API_METRICS_PORT: "x" }).metricsPort, 1);
});

Deno.test("parseConfig() counts an empty variable as set", () => {
  assert.equal(config([], { DEVICE_API_GRPC_ADDRESS: "" }).grpcAddress, "");
  assert.equal(
    config([], { DEVICE_API_UNIX_SOCKET: undefined }).unixSocket,
    DEFAULT_CONFIG.unixSocket,
  );
});

Deno.test("parseConfig() accepts Go flag syntax", () => {
  assert.equal(config(["--health-port", "1"]).healthPort, 1);
  assert.equal(config(["--health-port=1"]).healthPort, 1);
  assert.equal(config(["-health-port=1"]).healthPort, 1);
  assert.equal(config(["-health-port", "1"]).healthPort, 1);
  assert.equal(config(["-v=2"]).verbosity, 2);
  assert.equal(config(["-v", "2"]).verbosity, 2);
  assert.equal(config(["--v=2"]).verbosity, 2);
  assert.equal(config(["--v=1", "--v=7"]).verbosity, 7);
  assert.equal(config(["--node-name="]).nodeName, "");
  assert.equal(config(["--node-name", ""]).nodeName, "");
});

Deno.test("parseConfig() returns positional arguments and stops at --", () => {
  assert.deepEqual(run(["get", "gpus", "--v=1"]).args, ["get", "gpus"]);
  assert.deepEqual(run(["get", "-v", "1", "gpu", "gpu-0"]).args, ["get", "gpu", "gpu-0"]);
  assert.deepEqual(run(["--", "--v=2", "-"]).args, ["--v=2", "-"]);
  assert.equal(run(["--", "--v=2"]).config.verbosity, 0);
});

Deno.test("parseConfig() parses booleans as Go does", () => {
  const on = (args: string[]) => config(args).allowInsecureNonLoopback;
  assert.equal(on(["--allow-insecure-non-loopback"]), true);
  assert.equal(on(["--allow-insecure-non-loopback=true"]), true);
  assert.equal(on(["--allow-insecure-non-loopback=1"]), true);
  assert.equal(on(["--allow-insecure-non-loopback=TRUE"]), true);
  assert.equal(on(["--allow-insecure-non-loopback=false"]), false);
  assert.equal(on(["--allow-insecure-non-loopback=F"]), false);
  assert.deepEqual(errors(["--enable-nvml-provider=yes"]), [
    'invalid value "yes" for flag --enable-nvml-provider: must be true or false',
  ]);
  assert.deepEqual(errors(["--enable-nvml-provider", "false"]), [
    "flag --enable-nvml-provider is boolean: write --enable-nvml-provider=false",
  ]);
  assert.deepEqual(errors([], { DEVICE_API_ENABLE_NVML_PROVIDER: "off" }), [
    'invalid value "off" for DEVICE_API_ENABLE_NVML_PROVIDER: must be true or false',
  ]);
});

Deno.test("parseConfig() parses Go durations into milliseconds", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["0s", 0],
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.1s", 1100],
    [".5s", 500],
    ["250us", 0.25],
    ["250µs", 0.25],
    ["1000000ns", 1],
    ["24h", 86_400_000],
  ];
  for (const [raw, ms] of cases) {
    assert.equal(config([`--shutdown-timeout=${raw}`]).shutdownTimeoutMs, ms, raw);
  }
  const reason = "must be a duration such as 500ms, 30s or 1m30s, between 0s and 24h";
  for (const raw of ["-1s", "30", "1d", "", "s", "1m30", "24h1ms", " 1s", "1s ", "1.2.3s", "ms"]) {
    assert.deepEqual(errors([`--shutdown-delay=${raw}`]), [
      `invalid value ${JSON.stringify(raw)} for flag --shutdown-delay: ${reason}`,
    ]);
  }
});

Deno.test("parseConfig() parses octal modes written as 0 and three digits", () => {
  assert.equal(config(["--socket-mode=0600"]).socketMode, 0o600);
  assert.equal(config(["--socket-mode=0777"]).socketMode, 0o777);
  assert.equal(config(["--socket-mode=0000"]).socketMode, 0);
  for (const raw of ["660", "0o660", "0888", "06600", "rw-rw----", ""]) {
    assert.deepEqual(errors([`--consumer-socket-mode=${raw}`]), [
      `invalid value ${
        JSON.stringify(raw)
      } for flag --consumer-socket-mode: must be an octal file mode such as 0660`,
    ]);
  }
});

Deno.test("parseConfig() rejects ports outside 0-65535 with one message each", () => {
  assert.deepEqual(errors(["--metrics-port=abc"]), [
    'invalid value "abc" for flag --metrics-port: must be an integer between 0 and 65535',
  ]);
  assert.deepEqual(errors([], { DEVICE_API_METRICS_PORT: "x" }), [
    'invalid value "x" for DEVICE_API_METRICS_PORT: must be an integer between 0 and 65535',
  ]);
  for (const raw of ["-1", "65536", "1.5", "", "0x10", "1e3"]) {
    assert.equal(errors([`--health-port=${raw}`]).length, 1, raw);
  }
  assert.equal(config(["--health-port=0", "--metrics-port=65535"]).metricsPort, 65535);
});

Deno.test("parseConfig() checks the limits of every integer flag", () => {
  const cases: [string, string, string][] = [
    ["v", "11", "between 0 and 10"],
    ["max-gpus", "0", "between 1 and 65536"],
    ["max-gpus", "65537", "between 1 and 65536"],
    ["max-conditions", "0", "between 1 and 1024"],
    ["max-message-bytes", "1023", "between 1024 and 67108864"],
    ["max-message-bytes", "67108865", "between 1024 and 67108864"],
    ["max-object-bytes", "0", "between 1 and 67108864"],
    ["max-watchers", "0", "between 1 and 65536"],
    ["watch-queue-size", "0", "between 1 and 1048576"],
    ["watch-history-size", "1048577", "between 1 and 1048576"],
    ["watch-history-bytes", "-1", "between 0 and 1073741824"],
    ["watch-queue-bytes", "67108865", "between 0 and 67108864"],
    ["readiness-min-gpus", "-1", "between 0 and 65536"],
  ];
  for (const [flag, raw, range] of cases) {
    assert.deepEqual(errors([`--${flag}=${raw}`]), [
      `invalid value "${raw}" for flag --${flag}: must be an integer ${range}`,
    ]);
  }
  assert.equal(
    config(["--max-message-bytes=1024", "--max-object-bytes=1024"]).maxObjectBytes,
    1024,
  );
});

Deno.test("parseConfig() accepts IPv4, bracketed IPv6 and localhost gRPC addresses", () => {
  const cases: [string, string][] = [
    ["127.0.0.1:50051", "127.0.0.1:50051"],
    ["[::1]:50051", "[::1]:50051"],
    ["[0:0:0:0:0:0:0:1]:50051", "[::1]:50051"],
    ["localhost:0", "localhost:0"],
    ["LocalHost:1", "localhost:1"],
    ["[::ffff:127.0.0.1]:5", "[::ffff:7f00:1]:5"],
    ["", ""],
  ];
  for (const [raw, want] of cases) {
    assert.equal(config([`--grpc-address=${raw}`]).grpcAddress, want);
  }
});

Deno.test("parseConfig() rejects malformed gRPC addresses", () => {
  const reason = "must be HOST:PORT with an IP address or localhost as HOST and a port between " +
    "0 and 65535, such as 127.0.0.1:50051 or [::1]:50051";
  const cases: [string, string][] = [
    ["127.0.0.1", reason],
    ["127.0.0.1:65536", reason],
    ["127.0.0.1:abc", reason],
    ["example.com:50051", reason],
    ["[fe80::1%eth0]:1", reason],
    ["::1:50051", `${reason} (an IPv6 host needs brackets)`],
    [":50051", `${reason} (to listen on every interface write 0.0.0.0:50051 or [::]:50051)`],
  ];
  for (const [raw, why] of cases) {
    assert.deepEqual(errors([`--grpc-address=${raw}`]), [
      `invalid value ${JSON.stringify(raw)} for flag --grpc-address: ${why}`,
    ]);
  }
});

Deno.test("parseConfig() accepts only IP literals and localhost as bind hosts", () => {
  assert.equal(config(["--health-bind-address=::"]).healthBindAddress, "::");
  assert.equal(config(["--health-bind-address=[::1]"]).healthBindAddress, "::1");
  assert.equal(config(["--metrics-bind-address=0.0.0.0"]).metricsBindAddress, "0.0.0.0");
  assert.equal(config(["--metrics-bind-address=localhost"]).metricsBindAddress, "localhost");
  for (const raw of ["node.example", "", "256.0.0.1", "01.2.3.4", "1.2.3", "fe80::1%eth0"]) {
    assert.deepEqual(errors([`--metrics-bind-address=${raw}`]), [
      `invalid value ${
        JSON.stringify(raw)
      } for flag --metrics-bind-address: must be an IPv4 or IPv6 address or localhost, ` +
      "such as 127.0.0.1 or ::1",
    ]);
  }
});

Deno.test("parseConfig() parses XID lists and 'all'", () => {
  const got = config(["--nvml-ignored-xids= 13, 31,13 ", "--nvml-critical-xids=79"]);
  assert.deepEqual(got.nvmlIgnoredXids, [13, 31]);
  assert.equal(got.ignoreAllXids, false);
  assert.deepEqual(got.nvmlCriticalXids, [79]);
  assert.equal(config(["--nvml-ignored-xids=ALL"]).ignoreAllXids, true);
  for (const raw of ["13,,31", "0", "abc", "13;31", "-1"]) {
    assert.equal(errors([`--nvml-ignored-xids=${raw}`]).length, 1, raw);
  }
  assert.deepEqual(errors(["--nvml-critical-xids=all"]), [
    'invalid value "all" for flag --nvml-critical-xids: must be a comma-separated list of XIDs ' +
    "(positive integers), such as 13,31",
  ]);
});

Deno.test("parseConfig() resolves relative paths against the working directory", () => {
  const got = config([
    "--unix-socket=run/device.sock",
    "--consumer-socket=./run/../run/ro.sock",
    "--nvml-driver-root=driver",
  ]);
  assert.equal(got.unixSocket, "/work/run/device.sock");
  assert.equal(got.consumerSocket, "/work/run/ro.sock");
  assert.equal(got.nvmlDriverRoot, "/work/driver");
  assert.equal(config(["--unix-socket=/a/../b/s.sock"]).unixSocket, "/b/s.sock");
  const fromProcess = parseConfig(["--unix-socket=x.sock"], {});
  assert.ok(fromProcess.ok && fromProcess.action === "run");
  assert.equal(fromProcess.config.unixSocket, `${Deno.cwd()}/x.sock`);
});

Deno.test("parseConfig() rejects unusable paths", () => {
  assert.deepEqual(errors(["--unix-socket=unix:///run/x.sock"]), [
    'invalid value "unix:///run/x.sock" for flag --unix-socket: must be a file path such as ' +
    "/var/run/device-api/device.sock, not a URI",
  ]);
  const long = `/${"d".repeat(100)}/device.sock`;
  assert.deepEqual(errors([`--consumer-socket=${long}`]), [
    `invalid value "${long}" for flag --consumer-socket: socket path "${long}" is 113 bytes ` +
    "long, the limit is 107",
  ]);
  assert.deepEqual(errors(["--nvml-driver-root="]), [
    'invalid value "" for flag --nvml-driver-root: must not be empty',
  ]);
});

Deno.test("parseConfig() checks log format and node name", () => {
  assert.deepEqual(errors(["--log-format=yaml"]), [
    'invalid value "yaml" for flag --log-format: must be one of text, json',
  ]);
  assert.equal(errors(["--node-name=node a"]).length, 1);
  assert.equal(errors([`--node-name=${"n".repeat(254)}`]).length, 1);
});

Deno.test("parseConfig() reports unknown flags and bad syntax", () => {
  assert.deepEqual(errors(["--foo"]), ["unknown flag: --foo"]);
  assert.deepEqual(errors(["--foo=bar"]), ["unknown flag: --foo"]);
  assert.deepEqual(errors(["-x"]), ["unknown flag: -x"]);
  assert.deepEqual(errors(["---v=1"]), ["bad flag syntax: ---v=1"]);
  assert.deepEqual(errors(["--=1"]), ["bad flag syntax: --=1"]);
  assert.deepEqual(errors(["--metrics-port"]), ["flag needs an argument: --metrics-port"]);
  assert.deepEqual(errors(["--unix-socket", "--v=2"]), ["flag needs an argument: --unix-socket"]);
  assert.deepEqual(errors(["--unix-socket", "--"]), ["flag needs an argument: --unix-socket"]);
});

Deno.test("parseConfig() returns help or version instead of running", () => {
  assert.deepEqual(parseConfig(["--help"], {}), { ok: true, action: "help" });
  assert.deepEqual(parseConfig(["-h"], {}), { ok: true, action: "help" });
  assert.deepEqual(parseConfig(["--version"], {}), { ok: true, action: "version" });
  assert.deepEqual(parseConfig(["--foo", "--metrics-port=x", "-h"], {}), {
    ok: true,
    action: "help",
  });
  assert.deepEqual(parseConfig(["--version", "--help"], {}), { ok: true, action: "version" });
  assert.equal(config(["--help=false"]).verbosity, 0);
  assert.deepEqual(errors(["--version=maybe"]), [
    'invalid value "maybe" for flag --version: must be true or false',
  ]);
  assert.deepEqual(run(["--", "--help"]).args, ["--help"]);
});

Deno.test("parseConfig() reports several problems at once", () => {
  const got = errors(["--metrics-port=abc", "--v=11", "--bogus", "--log-format=xml"], {
    DEVICE_API_SHUTDOWN_TIMEOUT: "soon",
  });
  assert.deepEqual(got, [
    "unknown flag: --bogus",
    'invalid value "abc" for flag --metrics-port: must be an integer between 0 and 65535',
    'invalid value "soon" for DEVICE_API_SHUTDOWN_TIMEOUT: must be a duration such as 500ms, ' +
    "30s or 1m30s, between 0s and 24h",
    'invalid value "xml" for flag --log-format: must be one of text, json',
    'invalid value "11" for flag --v: must be an integer between 0 and 10',
  ]);
});

Deno.test("parseConfig() returns a frozen config", () => {
  assert.ok(Object.isFrozen(config(["--v=1"])));
});
