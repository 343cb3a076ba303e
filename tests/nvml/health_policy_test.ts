import assert from "node:assert/strict";
import {
  classifyEvent,
  createXidPolicy,
  decideHealth,
  NVML_CONDITION_TYPE,
  NvmlReason,
} from "../../src/nvml/mod.ts";
import {
  eventTypeNames,
  HEALTH_EVENT_MASK,
  healthyCondition,
  lostCondition,
  recoveredCondition,
  unmonitoredCondition,
} from "../../src/nvml/health_policy.ts";

const policy = createXidPolicy();

Deno.test("classifyEvent() reads the XID and MIG instance of an XID event", () => {
  assert.deepEqual(classifyEvent(0x8n, 79n), { kind: "xid", xid: 79 });
  assert.deepEqual(classifyEvent(0x8n, 48n, { gpuInstanceId: 1, computeInstanceId: 0 }), {
    kind: "xid",
    xid: 48,
    gpuInstanceId: 1,
    computeInstanceId: 0,
  });
});

Deno.test("classifyEvent() tells ECC events from other event types", () => {
  assert.deepEqual(classifyEvent(0x2n, 0n), { kind: "doubleBitEcc" });
  assert.deepEqual(classifyEvent(0x1n, 0n), { kind: "singleBitEcc" });
  assert.deepEqual(classifyEvent(0x4n, 0n), { kind: "other", eventType: 0x4n });
});

Deno.test("decideHealth() sets NVMLReady False with the catalog's action for a critical XID", () => {
  assert.deepEqual(decideHealth({ kind: "xid", xid: 79 }, policy), {
    action: "set",
    condition: {
      type: NVML_CONDITION_TYPE,
      status: "False",
      reason: NvmlReason.XidCriticalError,
      message:
        "Critical XID 79 (ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS) reported; recommended action RESTART_BM",
    },
    recommended: "RESTART_BM",
    unknownXid: false,
  });
});

Deno.test("decideHealth() only logs an XID the catalog leaves to the application", () => {
  const decision = decideHealth({ kind: "xid", xid: 94 }, policy);
  assert.equal(decision.action, "log");
  assert.match(decision.action === "log" ? decision.message : "", /RESTART_APP/);
});

Deno.test("decideHealth() names unknown XIDs and MIG instances in the message", () => {
  const unknown = decideHealth({ kind: "xid", xid: 999 }, policy);
  assert.equal(
    unknown.action === "set" && unknown.condition.message,
    "Critical XID 999 (unknown XID) reported; recommended action RESET_GPU (XID not in the catalog)",
  );
  assert.equal(unknown.action === "set" && unknown.unknownXid, true);
  const mig = decideHealth(
    { kind: "xid", xid: 48, gpuInstanceId: 2, computeInstanceId: 1 },
    policy,
  );
  assert.equal(
    mig.action === "set" && mig.condition.message,
    "Critical XID 48 (ROBUST_CHANNEL_GPU_ECC_DBE) on MIG GPU instance 2, compute instance 1 " +
      "reported; recommended action RESET_GPU",
  );
});

Deno.test("decideHealth() only logs an ignored XID", () => {
  const decision = decideHealth({ kind: "xid", xid: 13 }, policy);
  assert.equal(decision.action, "log");
  assert.match(
    decision.action === "log" ? decision.message : "",
    /XID 13 \(ROBUST_CHANNEL_GR_EXCEPTION\), ignored under the XID policy/,
  );
});

Deno.test("decideHealth() sets NVMLReady False for a double-bit ECC error", () => {
  const decision = decideHealth({ kind: "doubleBitEcc" }, policy);
  assert.equal(decision.action === "set" && decision.condition.status, "False");
  assert.equal(decision.action === "set" && decision.condition.reason, "DoubleBitEccError");
  assert.equal(decision.action === "set" && decision.recommended, "RESET_GPU");
});

Deno.test("decideHealth() only logs single-bit ECC errors and other events", () => {
  assert.equal(decideHealth({ kind: "singleBitEcc" }, policy).action, "log");
  assert.equal(decideHealth({ kind: "other", eventType: 0x10n }, policy).action, "log");
});

Deno.test("healthyCondition() and friends build NVMLReady conditions", () => {
  const all = [
    healthyCondition(["XidCriticalError"]),
    unmonitoredCondition("why"),
    lostCondition(),
    recoveredCondition(),
  ];
  assert.deepEqual(all.map((c) => [c.type, c.status, c.reason]), [
    ["NVMLReady", "True", "NVMLHealthy"],
    ["NVMLReady", "True", "Unmonitored"],
    ["NVMLReady", "False", "GpuLost"],
    ["NVMLReady", "True", "Recovered"],
  ]);
  assert.match(unmonitoredCondition("no events").message, /no events$/);
  assert.match(recoveredCondition("no events").message, /not monitored: no events$/);
});

Deno.test("eventTypeNames() names the health event mask", () => {
  assert.deepEqual(eventTypeNames(HEALTH_EVENT_MASK), [
    "SingleBitEccError",
    "DoubleBitEccError",
    "XidCriticalError",
  ]);
});
