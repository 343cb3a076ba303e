import assert from "node:assert/strict";
import { describeGpu } from "../../src/cli/mod.ts";
import { describeGpus, formatBytes } from "../../src/cli/describe.ts";
import { condition, NOW, sampleGpu } from "./_helpers.ts";

Deno.test("describeGpu() prints aligned fields and the conditions as a table", () => {
  const gpu = sampleGpu("gpu-0", [
    condition("NVMLReady", "False", {
      reason: "XidCriticalError",
      message: "Critical XID 79 reported",
      owner: "nvml",
      lastTransitionTime: { seconds: NOW / 1000 - 3 * 3600, nanos: 0 },
    }),
    condition("Maintenance", "True", {
      lastTransitionTime: { seconds: NOW / 1000 - 30, nanos: 0 },
    }),
  ], 2 * 86_400_000);
  gpu.metadata.labels = { zone: "a", "nvidia.com/mig": "off" };
  gpu.spec.productName = "NVIDIA H100 80GB HBM3";
  gpu.spec.pciBusId = "00000000:07:00.0";
  gpu.spec.memoryTotalBytes = 85899345920;
  gpu.status.recommendedAction = "Reset the GPU";
  assert.equal(
    describeGpu(gpu, NOW),
    `Name:                  gpu-0
Namespace:             default
Labels:                nvidia.com/mig=off
                       zone=a
Annotations:           <none>
UID:                   8c2b8a1e-0000-4000-8000-000000000001
Generation:            1
Resource Version:      7
Created:               2024-04-29T12:00:00Z (2d ago)
Spec:
  UUID:                GPU-gpu-0
  Product Name:        NVIDIA H100 80GB HBM3
  PCI Bus ID:          00000000:07:00.0
  Index:               0
  Minor Number:        0
  Memory Total:        80 GiB (85899345920 bytes)
  Serial:              <none>
Status:
  Ready:               False
  Recommended Action:  Reset the GPU
  Conditions:
    TYPE          STATUS   REASON             OWNER    AGE   MESSAGE
    NVMLReady     False    XidCriticalError   nvml     3h    Critical XID 79 reported
    Maintenance   True     <none>             <none>   30s
`,
  );
});

Deno.test("describeGpu() says <none> when there is no condition", () => {
  const page = describeGpu(sampleGpu("gpu-1"), NOW);
  assert.match(
    page,
    /^ {2}Ready: {15}Unknown\n {2}Recommended Action: {2}<none>\n {2}Conditions: {10}<none>\n$/m,
  );
  assert.ok(page.endsWith("  Conditions:          <none>\n"));
});

Deno.test("describeGpu() keeps a multi-line message on one table line", () => {
  const gpu = sampleGpu("gpu-2", [condition("X", "False", { message: "first\nsecond" })]);
  assert.ok(
    describeGpu(gpu, NOW).endsWith(
      "    TYPE   STATUS   REASON   OWNER    AGE         MESSAGE\n" +
        "    X      False    <none>   <none>   <unknown>   first second\n",
    ),
  );
});

Deno.test("describeGpus() separates pages with a blank line", () => {
  const text = describeGpus([sampleGpu("a"), sampleGpu("b")], NOW);
  assert.equal(text.split("\n\nName:").length, 2);
});

Deno.test("formatBytes() uses binary units with the exact count", () => {
  assert.equal(formatBytes(0), "<none>");
  assert.equal(formatBytes(512), "512 bytes");
  assert.equal(formatBytes(1536), "1.5 KiB (1536 bytes)");
  assert.equal(formatBytes(85899345920), "80 GiB (85899345920 bytes)");
});
