import assert from "node:assert/strict";
import {
  actionSeverity,
  clockReasonNames,
  mergeAction,
  mostSevere,
  signalConditions,
  signalProblems,
} from "../../src/nvml/mod.ts";

Deno.test("signalConditions() says True with the counts when nothing is wrong", () => {
  assert.deepEqual(
    signalConditions({
      remappedRows: { correctable: 2, uncorrectable: 0, pending: false, failure: false },
      volatileUncorrectableEcc: 0n,
      clockReasons: 0x1n,
      temperature: 40,
      slowdownThreshold: 90,
    }),
    [
      {
        condition: {
          type: "NVMLMemoryHealthy",
          status: "True",
          reason: "MemoryHealthy",
          message:
            "No pending memory repair or uncorrectable error; remapped rows 2 correctable, " +
            "0 uncorrectable; volatile uncorrectable ECC errors 0",
        },
        action: "",
      },
      {
        condition: {
          type: "NVMLClocksHealthy",
          status: "True",
          reason: "NoHardwareSlowdown",
          message: "No hardware clock slowdown; slowdown at 90 °C",
        },
        action: "",
      },
    ],
  );
});

Deno.test("signalConditions() keeps a healthy GPU's messages the same when only its temperature moves", () => {
  const at = (temperature: number) =>
    signalConditions({
      remappedRows: { correctable: 0, uncorrectable: 0, pending: false, failure: false },
      clockReasons: 0x1n,
      temperature,
      slowdownThreshold: 89,
      shutdownThreshold: 95,
    });
  assert.deepEqual(at(41), at(38));
  assert.equal(
    at(38)[1]!.condition.message,
    "No hardware clock slowdown; slowdown at 89 °C, shutdown at 95 °C",
  );
});

Deno.test("signalConditions() gives a thermal slowdown's temperature against the thresholds", () => {
  const [clocks] = signalConditions({
    clockReasons: 0x40n,
    temperature: 92,
    slowdownThreshold: 89,
    shutdownThreshold: 95,
  });
  assert.equal(
    clocks!.condition.message,
    "clocks slowed down by the hardware (HwThermalSlowdown); " +
      "temperature 92 °C (slowdown at 89 °C, shutdown at 95 °C)",
  );
});

Deno.test("signalConditions() takes the reason and action of the most severe problem", () => {
  const [memory] = signalConditions({
    remappedRows: { correctable: 0, uncorrectable: 3, pending: true, failure: true },
    retiredPagesPending: true,
  });
  assert.equal(memory!.condition.status, "False");
  assert.equal(memory!.condition.reason, "RowRemapFailure");
  assert.equal(memory!.action, "CONTACT_SUPPORT");
  assert.match(memory!.condition.message, /pending retirement/);
});

Deno.test("signalConditions() writes no condition for a category the GPU cannot report", () => {
  assert.deepEqual(signalConditions({}), []);
  const only = signalConditions({ clockReasons: 0x8n });
  assert.deepEqual(only.map((c) => [c.condition.type, c.condition.reason, c.action]), [
    ["NVMLClocksHealthy", "HwSlowdown", "CHECK_MECHANICALS"],
  ]);
});

Deno.test("signalProblems() names each signal for the metric", () => {
  const problems = signalProblems({
    remappedRows: { correctable: 0, uncorrectable: 0, pending: true, failure: true },
    retiredPagesPending: true,
    volatileUncorrectableEcc: 1n,
    clockReasons: 0x40n | 0x80n | 0x8n | 0x4n, // SwPowerCap is not a problem
  });
  assert.deepEqual(problems.map((p) => p.signal), [
    "row_remap_failure",
    "row_remap_pending",
    "retired_pages_pending",
    "volatile_uncorrectable_ecc",
    "hw_thermal_slowdown",
    "hw_power_brake_slowdown",
    "hw_slowdown",
  ]);
});

Deno.test("clockReasonNames() names the bits of a clock event reason mask", () => {
  assert.deepEqual(clockReasonNames(0x41n), ["GpuIdle", "HwThermalSlowdown"]);
  assert.deepEqual(clockReasonNames(0n), []);
});

Deno.test("mostSevere() and actionSeverity() order the actions", () => {
  assert.equal(mostSevere(["", "RESTART_APP", "RESET_GPU", "CHECK_MECHANICALS"]), "RESET_GPU");
  assert.equal(mostSevere([]), "");
  assert.ok(actionSeverity("CONTACT_SUPPORT") > actionSeverity("RESTART_BM"));
  assert.ok(actionSeverity("RESTART_BM") > actionSeverity("RESET_GPU"));
  // A word we do not know (another provider's) ranks above every known action.
  assert.ok(actionSeverity("DRAIN_NODE") > actionSeverity("CONTACT_SUPPORT"));
});

Deno.test("mergeAction() keeps another provider's more severe action and clears only its own", () => {
  assert.equal(mergeAction("", "RESET_GPU", ""), "RESET_GPU");
  assert.equal(mergeAction("CONTACT_SUPPORT", "RESET_GPU", ""), undefined);
  assert.equal(mergeAction("RESTART_APP", "RESET_GPU", ""), "RESET_GPU");
  assert.equal(mergeAction("RESET_GPU", "", "RESET_GPU"), "");
  assert.equal(mergeAction("RESTART_BM", "", "RESET_GPU"), undefined); // someone else's now
  assert.equal(mergeAction("RESET_GPU", "RESET_GPU", "RESET_GPU"), undefined);
  assert.equal(mergeAction("SOMETHING_ELSE", "CONTACT_SUPPORT", ""), undefined);
});
