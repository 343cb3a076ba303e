import assert from "node:assert/strict";
import { createXidPolicy, DEFAULT_IGNORED_XIDS, isCriticalXid } from "../../src/nvml/mod.ts";

Deno.test("isCriticalXid() ignores the default application XIDs", () => {
  const policy = createXidPolicy();
  assert.deepEqual(DEFAULT_IGNORED_XIDS, [13, 31, 43, 45, 68, 109]);
  for (const xid of DEFAULT_IGNORED_XIDS) assert.equal(isCriticalXid(xid, policy), false);
  for (const xid of [48, 62, 63, 64, 74, 79, 92, 94, 95, 119, 999]) {
    assert.equal(isCriticalXid(xid, policy), true, `XID ${xid}`);
  }
});

Deno.test("isCriticalXid() ignores XIDs added to the ignore list", () => {
  const policy = createXidPolicy({ ignoredXids: [79, 94] });
  assert.equal(isCriticalXid(79, policy), false);
  assert.equal(isCriticalXid(94, policy), false);
  assert.equal(isCriticalXid(48, policy), true);
  assert.equal(isCriticalXid(13, policy), false);
});

Deno.test("isCriticalXid() ignores everything but forced XIDs when ignoreAllXids is set", () => {
  const policy = createXidPolicy({ ignoreAllXids: true, criticalXids: [48] });
  assert.equal(isCriticalXid(79, policy), false);
  assert.equal(isCriticalXid(999, policy), false);
  assert.equal(isCriticalXid(48, policy), true);
});

Deno.test("isCriticalXid() lets a forced XID beat the ignore lists", () => {
  const policy = createXidPolicy({ ignoredXids: [79], criticalXids: [13, 79] });
  assert.equal(isCriticalXid(13, policy), true);
  assert.equal(isCriticalXid(79, policy), true);
  assert.equal(isCriticalXid(31, policy), false);
});
