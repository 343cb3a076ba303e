/**
 * Byte layouts of the NVML structs the bindings read (little endian, measured against nvml.h).
 *
 * @module
 */

/** Bytes of a string out-buffer: enough for every string NVML returns here. */
export const STRING_BYTES = 96;
/** `nvmlPciInfo_t`: busIdLegacy[16] · domain · bus · device · ids · busId[32] @36. */
export const PCI_INFO_BYTES = 68;
/** `nvmlEventData_t`: device @0 · eventType @8 · eventData @16 · GI @24 · CI @28. */
export const EVENT_DATA_BYTES = 32;
const NO_INSTANCE = 0xffffffff;
const decoder = new TextDecoder();

/** One event from `nvmlEventSetWait*`. */
export interface NvmlEventData {
  /** The `nvmlDevice_t` the event is about. */
  device: bigint;
  /** One of the event type bits (0x1 single-bit ECC, 0x2 double-bit ECC, 0x8 XID, …). */
  eventType: bigint;
  /** The XID for XID events (999: unknown); 0 otherwise. */
  eventData: bigint;
  /** MIG GPU instance, or undefined when not tied to one. */
  gpuInstanceId: number | undefined;
  /** MIG compute instance, or undefined when not tied to one. */
  computeInstanceId: number | undefined;
}

/** Row-remapping counters (Ampere and later). */
export interface NvmlRemappedRows {
  correctable: number;
  uncorrectable: number;
  pending: boolean;
  failure: boolean;
}

/** Decodes a NUL-terminated string out-buffer. */
export function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return decoder.decode(end === -1 ? buf : buf.subarray(0, end));
}

/**
 * The PCI bus id of an `nvmlPciInfo_t`. The v2 layout has reserved words where v3 has `busId`:
 * then (or when `busId` is empty) it is formatted from domain, bus and device as v3 does.
 */
export function pciBusIdOf(info: Uint8Array, layout: "v2" | "v3"): string {
  const busId = layout === "v3" ? cString(info.subarray(36, PCI_INFO_BYTES)) : "";
  if (busId !== "") return busId;
  const view = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const hex = (offset: number, width: number) =>
    view.getUint32(offset, true).toString(16).toUpperCase().padStart(width, "0");
  return `${hex(16, 8)}:${hex(20, 2)}:${hex(24, 2)}.0`;
}

/** Clears an event buffer; the legacy wait fills only 24 bytes, so instance ids read "none". */
export function resetEventData(data: Uint8Array): void {
  data.fill(0);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  view.setUint32(24, NO_INSTANCE, true);
  view.setUint32(28, NO_INSTANCE, true);
}

/** Decodes an `nvmlEventData_t`. */
export function decodeEventData(data: Uint8Array): NvmlEventData {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const gi = view.getUint32(24, true);
  const ci = view.getUint32(28, true);
  return {
    device: view.getBigUint64(0, true),
    eventType: view.getBigUint64(8, true),
    eventData: view.getBigUint64(16, true),
    gpuInstanceId: gi === NO_INSTANCE ? undefined : gi,
    computeInstanceId: ci === NO_INSTANCE ? undefined : ci,
  };
}
