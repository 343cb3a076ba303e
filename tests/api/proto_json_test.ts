import assert from "node:assert/strict";
import protobuf from "protobufjs";
import {
  gpuListToJson,
  gpuToJson,
  type JsonValue,
  messageType,
  PACKAGE,
  providerToJson,
  timestampToJson,
  watchEventToJson,
} from "../../src/api/mod.ts";
import { condition, sampleGpu } from "../cli/_helpers.ts";

Deno.test("timestampToJson() writes RFC 3339 UTC with 0, 3, 6 or 9 fraction digits", () => {
  assert.equal(timestampToJson({ seconds: 1714564800, nanos: 0 }), "2024-05-01T12:00:00Z");
  assert.equal(
    timestampToJson({ seconds: 1714564800, nanos: 250_000_000 }),
    "2024-05-01T12:00:00.250Z",
  );
  assert.equal(
    timestampToJson({ seconds: 1714564800, nanos: 1_000 }),
    "2024-05-01T12:00:00.000001Z",
  );
  assert.equal(
    timestampToJson({ seconds: 1714564800, nanos: 7 }),
    "2024-05-01T12:00:00.000000007Z",
  );
  assert.equal(timestampToJson(null), null);
});

Deno.test("gpuToJson() emits every field in schema order, int64 as strings", () => {
  const gpu = sampleGpu("gpu-0", [
    condition("NVMLReady", "False", {
      reason: "XidCriticalError",
      message: "Critical XID 79 reported",
      lastTransitionTime: { seconds: 1714564500, nanos: 0 },
      observedGeneration: 3,
      owner: "nvml",
    }),
  ], 0);
  gpu.metadata.labels = { zone: "a", ai: "x" };
  gpu.spec.memoryTotalBytes = 85899345920;
  gpu.resourceVersion = 9007199254740991;
  gpu.metadata.resourceVersion = "9007199254740991";
  const json = gpuToJson(gpu);
  assert.equal(
    JSON.stringify(json),
    JSON.stringify({
      metadata: {
        name: "gpu-0",
        resourceVersion: "9007199254740991",
        namespace: "default",
        uid: "8c2b8a1e-0000-4000-8000-000000000001",
        generation: "1",
        creationTimestamp: "2024-05-01T12:00:00Z",
        labels: { ai: "x", zone: "a" },
        annotations: {},
      },
      spec: {
        uuid: "GPU-gpu-0",
        productName: "",
        pciBusId: "",
        index: 0,
        minorNumber: 0,
        memoryTotalBytes: "85899345920",
        serial: "",
      },
      status: {
        conditions: [{
          type: "NVMLReady",
          status: "False",
          lastTransitionTime: "2024-05-01T11:55:00Z",
          reason: "XidCriticalError",
          message: "Critical XID 79 reported",
          observedGeneration: "3",
          owner: "nvml",
        }],
        recommendedAction: "",
      },
      resourceVersion: "9007199254740991",
    }),
  );
});

Deno.test("gpuListToJson() wraps items as a GpuList with its resource version", () => {
  const list = gpuListToJson([sampleGpu("a"), sampleGpu("b")], "42");
  assert.deepEqual(list.metadata, { resourceVersion: "42" });
  assert.deepEqual((list.items as { metadata: { name: string } }[]).map((g) => g.metadata.name), [
    "a",
    "b",
  ]);
});

Deno.test("watchEventToJson() is a WatchGpusResponse: type, then object", () => {
  const event = watchEventToJson("DELETED", sampleGpu("a"));
  assert.deepEqual(Object.keys(event), ["type", "object"]);
  assert.equal(event.type, "DELETED");
});

// Every field path of a message type, from the proto root: `metadata.labels`, `status.conditions[].type`.
function schemaPaths(type: protobuf.Type, prefix = ""): string[] {
  return type.fieldsArray.flatMap((field) => {
    const path = `${prefix}${field.name}${field.repeated ? "[]" : ""}`;
    const nested = field.resolve().resolvedType;
    const wellKnown = nested?.fullName.startsWith(".google.protobuf.");
    if (field.map || !(nested instanceof protobuf.Type) || wellKnown) return [path];
    return [path, ...schemaPaths(nested, `${path}.`)];
  });
}

// The same paths as found in a JSON object (arrays through their first item).
function jsonPaths(value: JsonValue, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const path = `${prefix}${key}${Array.isArray(v) ? "[]" : ""}`;
    const inner = Array.isArray(v) ? v[0] : v;
    const isMap = key === "labels" || key === "annotations";
    return [path, ...(isMap || inner === undefined ? [] : jsonPaths(inner, `${path}.`))];
  });
}

Deno.test("gpuToJson() and the other mappings emit every field the proto root declares", () => {
  const gpu = sampleGpu("gpu-0", [condition("NVMLReady", "True")]);
  const cases: [string, JsonValue][] = [
    ["Gpu", gpuToJson(gpu)],
    ["GpuList", gpuListToJson([gpu], "1")],
    ["WatchGpusResponse", watchEventToJson("ADDED", gpu)],
    [
      "Provider",
      providerToJson({
        name: "p",
        leaseDuration: { seconds: 1, nanos: 0 },
        lastHeartbeatTime: null,
        leaseExpired: false,
        conditionsOwned: 0,
        registered: true,
        firstSeenTime: null,
        leaseExpiries: 0,
      }),
    ],
  ];
  for (const [name, json] of cases) {
    const want = schemaPaths(messageType(`${PACKAGE}.${name}`)).sort();
    assert.ok(want.length > 0, name);
    assert.deepEqual(jsonPaths(json).sort(), want, name);
  }
});
