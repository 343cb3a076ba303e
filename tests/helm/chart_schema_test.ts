import assert from "node:assert/strict";
import { renderFailure } from "./_chart.ts";

/** Values helm template must refuse, and a fragment of the error each must produce. */
const REJECTED: [string, Record<string, unknown>, RegExp][] = [
  ["a negative port", { server: { healthPort: -1 } }, /'\/server\/healthPort': minimum/],
  ["a port above 65535", { server: { metricsPort: 70000 } }, /'\/server\/metricsPort': maximum/],
  [
    "a port given as a string",
    { server: { healthPort: "8081" } },
    /'\/server\/healthPort': got string/,
  ],
  [
    "an unknown log format",
    { logging: { format: "xml" } },
    /'\/logging\/format': value must be one of/,
  ],
  [
    "a duration without a unit",
    { server: { shutdownTimeout: "30" } },
    /'\/server\/shutdownTimeout'.*pattern/,
  ],
  [
    "a malformed duration",
    { readiness: { gracePeriod: "5 min" } },
    /'\/readiness\/gracePeriod'.*pattern/,
  ],
  [
    "a malformed scrape interval",
    { metrics: { serviceMonitor: { interval: "30 s" } } },
    /'\/metrics\/serviceMonitor\/interval'.*pattern/,
  ],
  ["an unknown top-level key", { replicaCount: 1 }, /at '': additional properties 'replicaCount'/],
  [
    "an unknown key in server",
    { server: { grpcPort: 50051 } },
    /'\/server': additional properties 'grpcPort'/,
  ],
  [
    "an unknown key in metrics.serviceMonitor",
    { metrics: { serviceMonitor: { intervall: "1m" } } },
    /additional properties 'intervall'/,
  ],
  [
    "a relative socket path",
    { server: { unixSocket: "device.sock" } },
    /'\/server\/unixSocket': value must be one of/,
  ],
  [
    "a socket path outside the binary's permission scope",
    { server: { unixSocket: "/run/gpu/api.sock" } },
    /'\/server\/unixSocket': value must be one of '\/var\/run\/device-api\/device.sock'/,
  ],
  ["a non-octal socket mode", { server: { socketMode: "rw" } }, /'\/server\/socketMode'.*pattern/],
  [
    "a grpcAddress without a port",
    { server: { grpcAddress: "127.0.0.1" } },
    /'\/server\/grpcAddress'.*pattern/,
  ],
  [
    "a root runAsUser",
    { securityContext: { runAsUser: 0, runAsGroup: 0 } },
    /'\/securityContext\/runAsUser': minimum/,
  ],
  ["negative verbosity", { logging: { verbosity: -1 } }, /'\/logging\/verbosity': minimum/],
  ["a string boolean", { nvml: { enabled: "yes" } }, /'\/nvml\/enabled': got string, want boolean/],
  [
    "an extraArgs flag the chart renders",
    { extraArgs: ["--health-port=1"] },
    /extraArgs.*--health-port=1/,
  ],
  [
    "an extraArgs value that is no flag",
    { extraArgs: ["health-port"] },
    /'\/extraArgs\/0'.*pattern/,
  ],
  [
    "a non-loopback grpcAddress without opt-in",
    { server: { grpcAddress: ":50051" } },
    /allowInsecureNonLoopback/,
  ],
  [
    "a loopback httpBindAddress",
    { server: { httpBindAddress: "127.0.0.1" } },
    /'\/server\/httpBindAddress': value must be one of/,
  ],
  ["equal health and metrics ports", { server: { metricsPort: 8081 } }, /metricsPort must differ/],
  [
    "a gRPC port equal to the health port",
    { server: { grpcAddress: "127.0.0.1:8081" } },
    /grpcAddress must differ/,
  ],
  [
    "the consumer socket on the main socket's path",
    { server: { consumerSocket: { enabled: true, path: "/var/run/device-api/device.sock" } } },
    /'\/server\/consumerSocket\/path': value must be one of/,
  ],
];

for (const [what, values, error] of REJECTED) {
  Deno.test(`values.schema.json and template checks reject ${what}`, async () => {
    const stderr = await renderFailure(values);
    assert.match(stderr, error);
  });
}
