import assert from "node:assert/strict";
import {
  cString,
  decodeEventData,
  EVENT_DATA_BYTES,
  PCI_INFO_BYTES,
  pciBusIdOf,
  resetEventData,
} from "../../src/nvml/_structs.ts";

function pciInfo(busId: string, domain: number, bus: number, device: number): Uint8Array {
  const info = new Uint8Array(PCI_INFO_BYTES);
  const view = new DataView(info.buffer);
  view.setUint32(16, domain, true);
  view.setUint32(20, bus, true);
  view.setUint32(24, device, true);
  info.set(new TextEncoder().encode(busId), 36);
  return info;
}

Deno.test("cString() stops at the first NUL", () => {
  assert.equal(cString(new Uint8Array([71, 80, 85, 0, 88])), "GPU");
  assert.equal(cString(new Uint8Array([71, 80, 85])), "GPU");
});

Deno.test("pciBusIdOf() reads busId of the v3 layout", () => {
  assert.equal(pciBusIdOf(pciInfo("00000001:3B:00.0", 0, 0, 0), "v3"), "00000001:3B:00.0");
});

Deno.test("pciBusIdOf() formats the id from domain, bus and device for the v2 layout", () => {
  const info = pciInfo("reserved-garbage", 0x1, 0x3b, 0x2);
  assert.equal(pciBusIdOf(info, "v2"), "00000001:3B:02.0");
  assert.equal(pciBusIdOf(pciInfo("", 0, 0xaf, 0), "v3"), "00000000:AF:00.0");
});

Deno.test("decodeEventData() reads device, type, XID and MIG instance ids", () => {
  const data = new Uint8Array(EVENT_DATA_BYTES);
  resetEventData(data);
  const view = new DataView(data.buffer);
  view.setBigUint64(0, 0x7f00_0000_1000n, true);
  view.setBigUint64(8, 0x8n, true);
  view.setBigUint64(16, 79n, true);
  assert.deepEqual(decodeEventData(data), {
    device: 0x7f00_0000_1000n,
    eventType: 0x8n,
    eventData: 79n,
    gpuInstanceId: undefined,
    computeInstanceId: undefined,
  });
  view.setUint32(24, 3, true);
  view.setUint32(28, 0, true);
  assert.equal(decodeEventData(data).gpuInstanceId, 3);
  assert.equal(decodeEventData(data).computeInstanceId, 0);
});
