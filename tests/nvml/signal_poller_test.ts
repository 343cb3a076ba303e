/** The signal poller against the fake library: each polled signal, its condition and action. */
import assert from "node:assert/strict";
import { fakeGpuName, startHarness } from "./harness.ts";

const GPU0 = fakeGpuName(0);
const GPU1 = fakeGpuName(1);
const MEM = "NVMLMemoryHealthy";
const CLOCKS = "NVMLClocksHealthy";
const fast = { pollIntervalMs: 100 };

Deno.test("startNvmlProvider() reports a pending row remap with RESET_GPU and clears it after a reset", async () => {
  const signals: string[] = [];
  await using h = await startHarness({ provider: { ...fast, onSignal: (s) => signals.push(s) } });
  await h.writer.waitFor(GPU0, MEM, "True", "MemoryHealthy");
  assert.match(h.writer.condition(GPU0, MEM)!.message, /remapped rows 0 correctable/);
  h.control.command("remap 0 1 0");
  await h.writer.waitFor(GPU0, MEM, "False", "RowRemapPending");
  await h.writer.waitForAction(GPU0, "RESET_GPU");
  assert.equal(h.writer.condition(GPU0, MEM)!.owner, "nvml");
  assert.equal(h.writer.gpus.get(GPU1)!.action, "");
  assert.deepEqual(signals, ["row_remap_pending"]);
  h.control.command("reset 0");
  await h.writer.waitFor(GPU0, MEM, "True", "MemoryHealthy");
  await h.writer.waitForAction(GPU0, "");
  // The event side still works after all that polling.
  h.control.xid(0, 79);
  await h.writer.waitForReady(GPU0, "False", "XidCriticalError");
  await h.writer.waitForAction(GPU0, "RESTART_BM");
});

Deno.test("startNvmlProvider() reports a row remap failure as CONTACT_SUPPORT, the most severe", async () => {
  await using h = await startHarness({ provider: fast });
  h.control.command("remap 1 1 1");
  await h.writer.waitFor(GPU1, MEM, "False", "RowRemapFailure");
  await h.writer.waitForAction(GPU1, "CONTACT_SUPPORT");
  const message = h.writer.condition(GPU1, MEM)!.message;
  assert.match(message, /row remapping failed/);
  assert.match(message, /a row remap is pending/);
  // A less severe problem elsewhere does not lower it.
  h.control.xid(1, 48);
  await h.writer.waitForReady(GPU1, "False", "XidCriticalError");
  assert.equal(h.writer.gpus.get(GPU1)!.action, "CONTACT_SUPPORT");
});

Deno.test("startNvmlProvider() sees a missed double-bit error through the volatile ECC count", async () => {
  await using h = await startHarness({ provider: fast, commands: ["unsupported 0"] });
  // GPU0's events are not registered, so the DBE event never arrives; the counters show it.
  h.control.doubleBitEcc(0);
  await h.writer.waitFor(GPU0, MEM, "False", "RowRemapPending");
  assert.match(
    h.writer.condition(GPU0, MEM)!.message,
    /1 uncorrectable ECC error\(s\) since the last reset/,
  );
  assert.equal(h.writer.ready(GPU0)?.reason, "Unmonitored");
  await h.writer.waitForAction(GPU0, "RESET_GPU");
});

Deno.test("startNvmlProvider() leaves a healthy GPU's clock condition alone as its temperature moves", async () => {
  await using h = await startHarness({ provider: fast });
  await h.writer.waitFor(GPU1, CLOCKS, "True", "NoHardwareSlowdown");
  const before = h.writer.condition(GPU1, CLOCKS)!.message;
  assert.equal(before, "No hardware clock slowdown; slowdown at 90 °C, shutdown at 95 °C");
  h.control.command("temperature 1 47");
  // One poll reads every signal: the poll that sees the remap has read the new temperature too.
  h.control.command("remap 1 1 0");
  await h.writer.waitFor(GPU1, MEM, "False", "RowRemapPending");
  assert.equal(h.writer.condition(GPU1, CLOCKS)!.message, before);
});

Deno.test("startNvmlProvider() reports hardware thermal slowdown with the temperatures", async () => {
  const signals: string[] = [];
  await using h = await startHarness({ provider: { ...fast, onSignal: (s) => signals.push(s) } });
  await h.writer.waitFor(GPU1, CLOCKS, "True", "NoHardwareSlowdown");
  h.control.command("temperature 1 93");
  h.control.command(`clocks 1 ${0x40 | 0x1}`); // HwThermalSlowdown, GpuIdle
  await h.writer.waitFor(GPU1, CLOCKS, "False", "HwThermalSlowdown");
  assert.match(
    h.writer.condition(GPU1, CLOCKS)!.message,
    /temperature 93 °C \(slowdown at 90 °C, shutdown at 95 °C\)/,
  );
  await h.writer.waitForAction(GPU1, "CHECK_MECHANICALS");
  h.control.command("clocks 1 128"); // HwPowerBrakeSlowdown
  await h.writer.waitFor(GPU1, CLOCKS, "False", "HwPowerBrakeSlowdown");
  h.control.command("clocks 1 1"); // idle only: nominal
  await h.writer.waitFor(GPU1, CLOCKS, "True", "NoHardwareSlowdown");
  await h.writer.waitForAction(GPU1, "");
  assert.deepEqual(signals, ["hw_thermal_slowdown", "hw_power_brake_slowdown"]);
});

Deno.test("startNvmlProvider() polls retired pages and throttle reasons on an old driver", async () => {
  await using h = await startHarness({ oldDriver: true, provider: fast });
  // No nvmlDeviceGetRemappedRows nor ...ClocksEventReasons: the rest is still polled.
  await h.writer.waitFor(GPU0, MEM, "True", "MemoryHealthy");
  assert.doesNotMatch(h.writer.condition(GPU0, MEM)!.message, /remapped rows/);
  h.control.command("retired 0 1 2 1");
  await h.writer.waitFor(GPU0, MEM, "False", "RetiredPagesPending");
  assert.match(h.writer.condition(GPU0, MEM)!.message, /retired pages 2 SBE, 1 DBE/);
  await h.writer.waitForAction(GPU0, "RESET_GPU");
  h.control.command("clocks 1 8"); // HwSlowdown, through ...ThrottleReasons
  await h.writer.waitFor(GPU1, CLOCKS, "False", "HwSlowdown");
  h.control.command("reset 0");
  await h.writer.waitFor(GPU0, MEM, "True", "MemoryHealthy");
});

Deno.test("startNvmlProvider() leaves signals a GPU does not support unpolled, and the rest monitored", async () => {
  await using h = await startHarness({ provider: fast, commands: ["no-signals 0"] });
  await h.writer.waitFor(GPU1, MEM, "True", "MemoryHealthy");
  await h.writer.waitFor(GPU1, CLOCKS, "True", "NoHardwareSlowdown");
  assert.equal(h.writer.condition(GPU0, MEM), undefined);
  assert.equal(h.writer.condition(GPU0, CLOCKS), undefined);
  assert.ok(h.logger.has("GPU does not support a signal; not polled"));
  h.control.xid(0, 79);
  await h.writer.waitForReady(GPU0, "False", "XidCriticalError");
});

Deno.test("startNvmlProvider() keeps another provider's more severe action and replaces a milder one", async () => {
  await using h = await startHarness({ provider: fast });
  await h.writer.waitFor(GPU0, MEM, "True", "MemoryHealthy");
  h.writer.gpus.get(GPU0)!.action = "CONTACT_SUPPORT"; // another provider's
  h.writer.gpus.get(GPU1)!.action = "RESTART_APP"; // another provider's, milder
  h.control.command("remap 0 1 0");
  h.control.command("remap 1 1 0");
  await h.writer.waitFor(GPU0, MEM, "False", "RowRemapPending");
  await h.writer.waitForAction(GPU1, "RESET_GPU");
  assert.equal(h.writer.gpus.get(GPU0)!.action, "CONTACT_SUPPORT");
  h.control.command("reset 0");
  h.control.command("reset 1");
  await h.writer.waitFor(GPU1, MEM, "True", "MemoryHealthy");
  await h.writer.waitForAction(GPU1, "");
  assert.equal(h.writer.gpus.get(GPU0)!.action, "CONTACT_SUPPORT");
});

Deno.test("startNvmlProvider() marks a GPU Unknown when a poll hangs, and recovers it", async () => {
  await using h = await startHarness({ provider: { ...fast, callTimeoutMs: 1000 } });
  await h.writer.waitFor(GPU0, MEM, "True", "MemoryHealthy");
  h.control.command("delay-query 2500");
  await h.writer.waitForReady(GPU0, "Unknown", "NVMLCallTimeout");
  assert.match(h.writer.ready(GPU0)!.message, /did not answer within 1000ms/);
  h.control.command("delay-query 0");
  await h.writer.waitForReady(GPU0, "True", "Recovered");
  // Polling goes on after the recovery.
  h.control.command("remap 0 1 0");
  await h.writer.waitFor(GPU0, MEM, "False", "RowRemapPending");
});

Deno.test("startNvmlProvider() does not poll with pollIntervalMs 0", async () => {
  await using h = await startHarness({ provider: { pollIntervalMs: 0 } });
  h.control.xid(0, 79);
  await h.writer.waitForReady(GPU0, "False", "XidCriticalError");
  assert.equal(h.writer.condition(GPU0, MEM), undefined);
});
