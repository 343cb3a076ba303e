/** Health classification of GPUs for the cache gauges. */
import assert from "node:assert/strict";
import { classifyGpu, countHealth } from "../../src/metrics/mod.ts";

function gpu(...statuses: string[]) {
  return { status: { conditions: statuses.map((status) => ({ status })) } };
}

Deno.test("classifyGpu() is healthy when every condition is True", () => {
  assert.equal(classifyGpu(gpu("True")), "healthy");
  assert.equal(classifyGpu(gpu("True", "True", "True")), "healthy");
});

Deno.test("classifyGpu() is unhealthy when any condition is False, whatever the others", () => {
  assert.equal(classifyGpu(gpu("False")), "unhealthy");
  assert.equal(classifyGpu(gpu("True", "False")), "unhealthy");
  assert.equal(classifyGpu(gpu("Unknown", "False", "True")), "unhealthy");
});

Deno.test("classifyGpu() is unknown when a GPU has no conditions", () => {
  assert.equal(classifyGpu(gpu()), "unknown");
});

Deno.test("classifyGpu() is unknown when a condition is Unknown or unrecognised and none False", () => {
  assert.equal(classifyGpu(gpu("Unknown")), "unknown");
  assert.equal(classifyGpu(gpu("True", "Unknown")), "unknown");
  assert.equal(classifyGpu(gpu("True", "")), "unknown");
  assert.equal(classifyGpu(gpu("true")), "unknown", "status values are case-sensitive");
});

Deno.test("countHealth() counts each class once and totals every GPU", () => {
  const counts = countHealth([
    gpu("True"),
    gpu("True", "True"),
    gpu("False"),
    gpu(),
    gpu("Unknown"),
    gpu("True", "False"),
  ]);
  assert.deepEqual(counts, { total: 6, healthy: 2, unhealthy: 2, unknown: 2 });
});

Deno.test("countHealth() is all zero for no GPUs", () => {
  assert.deepEqual(countHealth([]), { total: 0, healthy: 0, unhealthy: 0, unknown: 0 });
});
