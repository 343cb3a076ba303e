import assert from "node:assert/strict";
import {
  createXidPolicy,
  DEFAULT_IGNORED_XIDS,
  OTHER_XID_LABEL,
  RECOMMENDED_ACTIONS,
  XID_CATALOG,
  xidEffect,
  xidLabel,
} from "../../src/nvml/mod.ts";

const critical = (xid: number, policy = createXidPolicy()) => xidEffect(xid, policy).critical;

Deno.test("xidEffect() ignores the default application XIDs", () => {
  const policy = createXidPolicy();
  assert.deepEqual(DEFAULT_IGNORED_XIDS, [13, 31, 43, 45, 68, 109]);
  for (const xid of DEFAULT_IGNORED_XIDS) {
    assert.deepEqual(xidEffect(xid, policy), {
      critical: false,
      action: "",
      mnemonic: XID_CATALOG.get(xid)!.mnemonic,
      source: "ignored",
    });
  }
});

Deno.test("xidEffect() takes criticality and action from the catalog", () => {
  const policy = createXidPolicy();
  assert.deepEqual(xidEffect(79, policy), {
    critical: true,
    action: "RESTART_BM",
    mnemonic: "ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS",
    source: "catalog",
  });
  assert.equal(xidEffect(48, policy).action, "RESET_GPU");
  assert.equal(xidEffect(64, policy).action, "RESET_GPU");
  assert.equal(xidEffect(61, policy).action, "CONTACT_SUPPORT");
  assert.equal(xidEffect(54, policy).action, "CHECK_MECHANICALS");
  // RESTART_APP and informational (IGNORE) XIDs leave the GPU healthy.
  for (const xid of [8, 94, 63, 92, 121]) assert.equal(critical(xid), false, `XID ${xid}`);
  for (const xid of [48, 61, 62, 64, 74, 79, 95, 119]) {
    assert.equal(critical(xid), true, `XID ${xid}`);
  }
});

Deno.test("xidEffect() treats an XID outside the catalog as critical with RESET_GPU", () => {
  for (const xid of [999, 150, 12345]) {
    assert.deepEqual(xidEffect(xid, createXidPolicy()), {
      critical: true,
      action: "RESET_GPU",
      mnemonic: "",
      source: "unknown",
    });
  }
});

Deno.test("xidEffect() ignores XIDs added to the ignore list", () => {
  const policy = createXidPolicy({ ignoredXids: [79, 95] });
  assert.equal(critical(79, policy), false);
  assert.equal(critical(95, policy), false);
  assert.equal(critical(48, policy), true);
});

Deno.test("xidEffect() ignores everything but forced XIDs when ignoreAllXids is set", () => {
  const policy = createXidPolicy({ ignoreAllXids: true, criticalXids: [48] });
  assert.equal(critical(79, policy), false);
  assert.equal(critical(999, policy), false);
  assert.equal(critical(48, policy), true);
});

Deno.test("xidEffect() lets a forced XID beat the ignore lists and the catalog", () => {
  const policy = createXidPolicy({ ignoredXids: [79], criticalXids: [13, 79, 94, 92, 4242] });
  assert.deepEqual(xidEffect(13, policy).action, "RESTART_APP");
  assert.equal(critical(13, policy), true);
  assert.equal(xidEffect(79, policy).action, "RESTART_BM");
  assert.equal(critical(94, policy), true);
  assert.equal(xidEffect(92, policy).action, "RESET_GPU"); // informational: the unknown action
  assert.equal(xidEffect(4242, policy).source, "forced");
  assert.equal(critical(31, policy), false);
});

Deno.test("XID_CATALOG uses only known actions and xidLabel() bounds the label set", () => {
  for (const [xid, entry] of XID_CATALOG) {
    assert.ok(entry.action === "" || RECOMMENDED_ACTIONS.includes(entry.action), `XID ${xid}`);
    assert.equal(xidLabel(xid), String(xid));
  }
  assert.equal(xidLabel(999), OTHER_XID_LABEL);
  assert.equal(xidLabel(4242), "other");
});
