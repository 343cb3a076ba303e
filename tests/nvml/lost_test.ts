import assert from "node:assert/strict";
import { fakeGpuName, startHarness } from "./harness.ts";

const GPU0 = fakeGpuName(0);
const GPU1 = fakeGpuName(1);

Deno.test("startNvmlProvider() marks every GPU GpuLost, then Recovered when they answer", async () => {
  await using h = await startHarness();
  await h.command("lost");
  await h.writer.waitForReady(GPU0, "False", "GpuLost");
  await h.writer.waitForReady(GPU1, "False", "GpuLost");
  await h.command("recover");
  await h.writer.waitForReady(GPU0, "True", "Recovered");
  await h.writer.waitForReady(GPU1, "True", "Recovered");
  assert.match(h.writer.ready(GPU0)?.message ?? "", /answers NVML again/);
});

Deno.test("startNvmlProvider() monitors events again after a recovery", async () => {
  await using h = await startHarness();
  h.control.setLost(-1, true);
  await h.writer.waitForReady(GPU1, "False", "GpuLost");
  h.control.setLost(-1, false);
  await h.writer.waitForReady(GPU1, "True", "Recovered");
  h.control.xid(1, 79);
  await h.writer.waitForReady(GPU1, "False", "XidCriticalError");
  assert.equal(h.control.liveSets(), 1);
});

Deno.test("startNvmlProvider() recovers the GPUs that answer while another stays lost", async () => {
  await using h = await startHarness();
  h.control.setLost(1, true);
  await h.writer.waitForReady(GPU1, "False", "GpuLost");
  // Every GPU is marked lost first; the probe then finds that GPU0 still answers.
  await h.writer.waitForReady(GPU0, "True", "Recovered");
  assert.equal(h.writer.ready(GPU1)?.reason, "GpuLost");
  h.control.setLost(1, false);
  await h.writer.waitForReady(GPU1, "True", "Recovered");
});

Deno.test("startNvmlProvider() keeps an unmonitored GPU's cause after a recovery", async () => {
  await using h = await startHarness({ commands: ["unsupported 0"] });
  h.control.setLost(-1, true);
  await h.writer.waitForReady(GPU0, "False", "GpuLost");
  h.control.setLost(-1, false);
  await h.writer.waitForReady(GPU0, "True", "Recovered");
  assert.match(h.writer.ready(GPU0)?.message ?? "", /not monitored: .*NOT_SUPPORTED/);
});
