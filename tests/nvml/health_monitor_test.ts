import assert from "node:assert/strict";
import { fakeGpuName, startHarness } from "./harness.ts";

const GPU0 = fakeGpuName(0);
const GPU1 = fakeGpuName(1);

Deno.test("startNvmlProvider() turns only the GPU with a critical XID False", async () => {
  await using h = await startHarness();
  const before = h.writer.writesFor(GPU0);
  h.control.xid(1, 79);
  await h.writer.waitForReady(GPU1, "False", "XidCriticalError");
  assert.match(h.writer.ready(GPU1)?.message ?? "", /\bXID 79\b/);
  assert.equal(h.writer.ready(GPU0)?.status, "True");
  assert.equal(h.writer.writesFor(GPU0), before);
});

Deno.test("startNvmlProvider() takes XIDs from the control file of another process", async () => {
  await using h = await startHarness();
  await h.command("xid 0 48");
  await h.writer.waitForReady(GPU0, "False", "XidCriticalError");
  assert.match(h.writer.ready(GPU0)?.message ?? "", /\bXID 48\b/);
  assert.equal(h.writer.ready(GPU1)?.reason, "NVMLHealthy");
});

Deno.test("startNvmlProvider() says an unknown XID 999 is unknown", async () => {
  await using h = await startHarness();
  h.control.xid(0, 999);
  await h.writer.waitForReady(GPU0, "False", "XidCriticalError");
  assert.match(h.writer.ready(GPU0)?.message ?? "", /XID 999 \(unknown XID\)/);
});

// Events are handled in order: once the later event on GPU1 shows, the earlier one on GPU0
// has been handled too.
Deno.test("startNvmlProvider() ignores a default-ignored XID (13)", async () => {
  await using h = await startHarness();
  const before = h.writer.writesFor(GPU0);
  h.control.xid(0, 13);
  h.control.xid(1, 79);
  await h.writer.waitForReady(GPU1, "False", "XidCriticalError");
  assert.equal(h.writer.ready(GPU0)?.reason, "NVMLHealthy");
  assert.equal(h.writer.writesFor(GPU0), before);
  assert.ok(h.logger.has("XID 13 (ROBUST_CHANNEL_GR_EXCEPTION), ignored under the XID policy"));
});

Deno.test("startNvmlProvider() ignores XIDs given in ignoredXids", async () => {
  await using h = await startHarness({ provider: { ignoredXids: [79] } });
  h.control.xid(0, 79);
  h.control.xid(1, 48);
  await h.writer.waitForReady(GPU1, "False", "XidCriticalError");
  assert.equal(h.writer.ready(GPU0)?.reason, "NVMLHealthy");
});

Deno.test("startNvmlProvider() ignores every XID but the critical ones with ignoreAllXids", async () => {
  await using h = await startHarness({ provider: { ignoreAllXids: true, criticalXids: [48] } });
  h.control.xid(0, 79);
  h.control.xid(1, 48);
  await h.writer.waitForReady(GPU1, "False", "XidCriticalError");
  assert.equal(h.writer.ready(GPU0)?.reason, "NVMLHealthy");
});

Deno.test("startNvmlProvider() treats a default-ignored XID as critical when forced", async () => {
  await using h = await startHarness({ provider: { criticalXids: [13] } });
  h.control.xid(0, 13);
  await h.writer.waitForReady(GPU0, "False", "XidCriticalError");
  assert.match(h.writer.ready(GPU0)?.message ?? "", /\bXID 13\b/);
});

Deno.test("startNvmlProvider() turns a GPU with a double-bit ECC error False", async () => {
  await using h = await startHarness();
  await h.command("ecc-dbe 1");
  await h.writer.waitForReady(GPU1, "False", "DoubleBitEccError");
  assert.equal(h.writer.ready(GPU0)?.status, "True");
});

Deno.test("startNvmlProvider() only logs a single-bit ECC error", async () => {
  await using h = await startHarness();
  const before = h.writer.writesFor(GPU0);
  h.control.singleBitEcc(0);
  h.control.doubleBitEcc(1);
  await h.writer.waitForReady(GPU1, "False", "DoubleBitEccError");
  assert.equal(h.writer.ready(GPU0)?.reason, "NVMLHealthy");
  assert.equal(h.writer.writesFor(GPU0), before);
  const line = h.logger.lines.find((l) => l.msg.includes("single-bit ECC"));
  assert.deepEqual(line?.kv, ["gpus", [GPU0]]);
});

Deno.test("startNvmlProvider() marks a GPU Unmonitored when registration is not supported", async () => {
  await using h = await startHarness({ commands: ["unsupported 1"] });
  const ready = h.writer.ready(GPU1);
  assert.equal(ready?.status, "True");
  assert.equal(ready?.reason, "Unmonitored");
  assert.match(ready?.message ?? "", /NVML_ERROR_NOT_SUPPORTED/);
  assert.equal(h.writer.ready(GPU0)?.reason, "NVMLHealthy");
  // Nothing is registered for GPU1, so its XID never arrives; GPU0's does.
  h.control.xid(1, 79);
  h.control.xid(0, 79);
  await h.writer.waitForReady(GPU0, "False", "XidCriticalError");
  assert.equal(h.writer.ready(GPU1)?.reason, "Unmonitored");
});

Deno.test("startNvmlProvider() writes only NVML-owned condition types, as nvml", async () => {
  await using h = await startHarness({
    seed: (writer) => {
      writer.gpus.set(GPU0, {
        spec: {
          uuid: "GPU-3f2504e0-4f89-11d3-9a0c-0305e82c3300",
          productName: "seeded",
          pciBusId: "",
          index: 0,
          minorNumber: 0,
          memoryTotalBytes: 0,
          serial: "",
        },
        conditions: new Map([["Ready", {
          type: "Ready",
          status: "False",
          reason: "Seeded",
          message: "set by another provider",
          owner: "other",
        }]]),
        action: "",
      });
    },
  });
  h.control.xid(0, 79);
  h.control.doubleBitEcc(1);
  await h.writer.waitForReady(GPU1, "False", "DoubleBitEccError");
  h.control.setLost(-1, true);
  await h.writer.waitForReady(GPU0, "False", "GpuLost");
  h.control.setLost(-1, false);
  await h.writer.waitForReady(GPU0, "True", "Recovered");
  await h.provider.stop();
  assert.ok(h.writer.writes.length >= 6);
  for (const write of h.writer.writes) {
    for (const c of write.conditions) {
      assert.ok(["NVMLReady", "NVMLMemoryHealthy", "NVMLClocksHealthy"].includes(c.type), c.type);
    }
  }
  const seeded = h.writer.gpus.get(GPU0);
  assert.equal(seeded?.spec.productName, "seeded");
  assert.deepEqual(seeded?.conditions.get("Ready"), {
    type: "Ready",
    status: "False",
    reason: "Seeded",
    message: "set by another provider",
    owner: "other",
  });
});
