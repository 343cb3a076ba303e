import assert from "node:assert/strict";
import type { Condition } from "../../src/api/mod.ts";
import {
  ageOf,
  conditionsSummary,
  gpuTable,
  humanDuration,
  readyOf,
  renderTable,
} from "../../src/cli/mod.ts";
import { cellText } from "../../src/cli/format.ts";
import { condition, NOW, sampleGpu } from "./_helpers.ts";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const cond = condition;
const gpu = (name: string, conditions: Condition[], extra: { ageMs?: number } = {}) =>
  sampleGpu(name, conditions, extra.ageMs);

Deno.test("readyOf() returns False when any condition is False, whatever the order", () => {
  assert.equal(readyOf([cond("A", "True"), cond("B", "False"), cond("C", "Unknown")]), "False");
  assert.equal(readyOf([cond("A", "Unknown"), cond("B", "False")]), "False");
});

Deno.test("readyOf() returns Unknown when a condition is Unknown and none is False", () => {
  assert.equal(readyOf([cond("A", "True"), cond("B", "Unknown")]), "Unknown");
  assert.equal(readyOf([cond("A", "True"), cond("B", "Maybe")]), "Unknown");
});

Deno.test("readyOf() returns Unknown when there is no condition", () => {
  assert.equal(readyOf([]), "Unknown");
});

Deno.test("readyOf() returns True when every condition is True", () => {
  assert.equal(readyOf([cond("A", "True"), cond("B", "True")]), "True");
});

Deno.test("conditionsSummary() joins TYPE=STATUS in stored order, <none> when empty", () => {
  assert.equal(
    conditionsSummary([cond("NVMLReady", "True"), cond("MemoryHealthy", "False")]),
    "NVMLReady=True,MemoryHealthy=False",
  );
  assert.equal(conditionsSummary([]), "<none>");
});

Deno.test("humanDuration() matches kubectl's ages at each boundary", () => {
  const cases: [number, string][] = [
    [-3 * S, "<invalid>"],
    [-1500, "0s"],
    [0, "0s"],
    [999, "0s"],
    [59 * S, "59s"],
    [119 * S, "119s"],
    [2 * M, "2m"],
    [5 * M + 30 * S, "5m30s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M + 30 * S, "10m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [3 * H + 25 * M, "3h25m"],
    [7 * H + 59 * M, "7h59m"],
    [8 * H + 30 * M, "8h"],
    [47 * H, "47h"],
    [2 * D, "2d"],
    [2 * D + 4 * H, "2d4h"],
    [7 * D + 23 * H, "7d23h"],
    [8 * D + 5 * H, "8d"],
    [729 * D, "729d"],
    [730 * D, "2y"],
    [750 * D, "2y20d"],
    [8 * 365 * D + 40 * D, "8y"],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

Deno.test("ageOf() returns <unknown> for an unset timestamp", () => {
  assert.equal(ageOf(null, NOW), "<unknown>");
  assert.equal(ageOf({ seconds: 0, nanos: 0 }, NOW), "<unknown>");
  assert.equal(ageOf({ seconds: NOW / 1000 - 3 * 3600, nanos: 0 }, NOW), "3h");
});

Deno.test("renderTable() pads columns by 3, to at least 6, and leaves the last unpadded", () => {
  assert.equal(
    renderTable([["NAME", "A", "LAST"], ["gpu-0", "True", "x"], ["g", "", "longer"], [
      "h",
      "y",
      "",
    ]]),
    "NAME    A      LAST\n" +
      "gpu-0   True   x\n" +
      "g              longer\n" +
      "h       y\n",
  );
});

Deno.test("renderTable() counts characters, not UTF-16 units, and applies the indent", () => {
  assert.equal(
    renderTable([["KEY", "V"], ["µ𝄞x", "1"]], { indent: "  " }),
    "  KEY   V\n" +
      "  µ𝄞x   1\n",
  );
});

Deno.test("cellText() turns control characters into spaces", () => {
  assert.equal(cellText("line one\nline\ttwo\x1b[31mred"), "line one line two [31mred");
});

Deno.test("gpuTable() prints NAME, UUID, READY, CONDITIONS and AGE", () => {
  const gpus = [
    gpu("gpu-0", [cond("NVMLReady", "True"), cond("MemoryHealthy", "False")], { ageMs: 5 * M }),
    gpu("gpu-1", [cond("NVMLReady", "True")], { ageMs: 3 * D }),
    gpu("gpu-2", [], { ageMs: 45 * S }),
  ];
  assert.equal(
    gpuTable(gpus, { nowMs: NOW }),
    "NAME    UUID        READY     CONDITIONS                           AGE\n" +
      "gpu-0   GPU-gpu-0   False     NVMLReady=True,MemoryHealthy=False   5m\n" +
      "gpu-1   GPU-gpu-1   True      NVMLReady=True                       3d\n" +
      "gpu-2   GPU-gpu-2   Unknown   <none>                               45s\n",
  );
});

Deno.test("gpuTable() adds PRODUCT, PCI BUS ID and INDEX when wide, NAMESPACE when asked", () => {
  const a = gpu("gpu-0", [cond("NVMLReady", "True")], { ageMs: 4 * H });
  a.spec.productName = "NVIDIA H100 80GB HBM3";
  a.spec.pciBusId = "00000000:07:00.0";
  const b = gpu("gpu-1", [cond("NVMLReady", "True")], { ageMs: 4 * H });
  b.spec.index = 1;
  b.metadata.namespace = "lab";
  assert.equal(
    gpuTable([a, b], { nowMs: NOW, wide: true, namespace: true }),
    "NAMESPACE   NAME    UUID        READY   CONDITIONS       AGE   PRODUCT                 " +
      "PCI BUS ID         INDEX\n" +
      "default     gpu-0   GPU-gpu-0   True    NVMLReady=True   4h    NVIDIA H100 80GB HBM3   " +
      "00000000:07:00.0   0\n" +
      "lab         gpu-1   GPU-gpu-1   True    NVMLReady=True   4h    <none>                  " +
      "<none>             1\n",
  );
});
