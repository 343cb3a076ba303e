/** The NVML metrics: state, XID and signal counters, GPUs per recommended action. */
import assert from "node:assert/strict";
import { createMetrics } from "../../src/metrics/mod.ts";
import { scrapeRegistry } from "./_exposition.ts";

function gpu(action: string) {
  return { gpu: { status: { conditions: [], recommendedAction: action } } } as never;
}

Deno.test("createMetrics() exports the NVML state as one 1 among the states, and nvml_up", async () => {
  const metrics = createMetrics({ version: "1" });
  let m = await scrapeRegistry(metrics.registry);
  assert.equal(m.value("device_api_server_nvml_state", { state: "disabled" }), 1);
  assert.equal(m.value("device_api_server_nvml_up"), 0);
  for (const state of ["not_found", "starting", "running", "failed"]) {
    assert.equal(m.value("device_api_server_nvml_state", { state }), 0, state);
  }
  metrics.nvml.onState("starting");
  metrics.nvml.onState("running");
  m = await scrapeRegistry(metrics.registry);
  assert.equal(m.value("device_api_server_nvml_state", { state: "running" }), 1);
  assert.equal(m.value("device_api_server_nvml_state", { state: "starting" }), 0);
  assert.equal(m.value("device_api_server_nvml_up"), 1);
  metrics.nvml.onState("failed");
  m = await scrapeRegistry(metrics.registry);
  assert.equal(m.value("device_api_server_nvml_state", { state: "failed" }), 1);
  assert.equal(m.value("device_api_server_nvml_up"), 0);
});

Deno.test("createMetrics() counts XIDs and signals on bounded labels, zero from the start", async () => {
  const metrics = createMetrics({ version: "1" });
  let m = await scrapeRegistry(metrics.registry);
  assert.equal(m.value("device_api_server_nvml_xid_events_total", { xid: "79" }), 0);
  assert.equal(m.value("device_api_server_nvml_xid_events_total", { xid: "other" }), 0);
  assert.equal(
    m.value("device_api_server_nvml_signal_detections_total", { signal: "row_remap_pending" }),
    0,
  );
  metrics.nvml.onXid("79");
  metrics.nvml.onXid("79");
  metrics.nvml.onSignal("hw_thermal_slowdown");
  m = await scrapeRegistry(metrics.registry);
  assert.equal(m.value("device_api_server_nvml_xid_events_total", { xid: "79" }), 2);
  assert.equal(
    m.value("device_api_server_nvml_signal_detections_total", { signal: "hw_thermal_slowdown" }),
    1,
  );
  assert.equal(m.types.get("device_api_server_nvml_xid_events_total"), "counter");
});

Deno.test("createMetrics() counts GPUs by recommended action at scrape, others as other", async () => {
  const metrics = createMetrics({ version: "1" });
  const gpus = [gpu(""), gpu("RESET_GPU"), gpu("RESET_GPU"), gpu("MY_OWN_WORD")];
  metrics.bind({
    snapshot: () => gpus,
    resourceVersion: 1,
    watcherCount: 0,
    watchQueuedBytes: 0,
  });
  let m = await scrapeRegistry(metrics.registry);
  const action = (a: string) =>
    m.value("device_api_server_gpus_by_recommended_action", { action: a });
  assert.equal(action("none"), 1);
  assert.equal(action("RESET_GPU"), 2);
  assert.equal(action("other"), 1);
  assert.equal(action("CONTACT_SUPPORT"), 0);
  gpus.splice(1, 2);
  m = await scrapeRegistry(metrics.registry);
  assert.equal(action("RESET_GPU"), 0);
});
