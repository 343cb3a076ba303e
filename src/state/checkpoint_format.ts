/**
 * The checkpoint file format. Pure logic, no I/O.
 *
 * Layout (integers little-endian):
 *
 * | bytes | content |
 * |---|---|
 * | 8 | magic `DAPICKPT` |
 * | 4 | format version ({@linkcode CHECKPOINT_FORMAT}) |
 * | 4 | reserved, 0 |
 * | 8 | payload length |
 * | 4 | CRC-32 of the payload |
 * | 4 | reserved, 0 |
 * | … | payload |
 *
 * Payload: a u32-length-prefixed JSON header ({@linkcode CheckpointMeta}),
 * then each GPU as a u32 length and its stored protobuf encoding, then each
 * history event as record_codec.ts encodes it (one byte of type and flags,
 * the labels before the change when they differ, and a u32 length and the
 * encoded Gpu). The objects are the exact bytes the server stores and serves.
 *
 * A reader refuses a newer format explicitly instead of guessing at it.
 *
 * @module
 */
import zlib from "node:zlib";
import {
  areVersions,
  CheckpointError,
  type CheckpointEvent,
  type DecodedEvent,
  eventBytes,
  isProviderList,
  Packer,
  packEvent,
  parseJson,
  previousOf,
  Reader,
  readEvent,
} from "./record_codec.ts";

export { CheckpointError, type CheckpointEvent, type CheckpointProblem } from "./record_codec.ts";

/** Format version this build writes; it reads this one only. */
export const CHECKPOINT_FORMAT = 1;

/** Bytes before the payload. */
export const HEADER_BYTES = 32;

/** Largest JSON header: versions and up to 256 providers with their names. */
export const MAX_META_BYTES = 128 * 1024;

const MAGIC = new TextEncoder().encode("DAPICKPT");

/** What the JSON header of a checkpoint holds. */
export interface CheckpointMeta {
  /** Version of the last write in the checkpoint. */
  version: number;
  /** Every event after this version is in the history. */
  completeAfter: number;
  /** The version high-water mark when the checkpoint was written. */
  mark: number;
  /** Wall clock when written, for operators only. */
  savedAtMs: number;
  /** Number of GPU records that follow the header. */
  gpus: number;
  /** Registered providers and their leases. */
  providers: { name: string; leaseMs: number }[];
}

/** A decoded checkpoint: the header, the GPUs' and the events' encodings. */
export interface DecodedCheckpoint {
  meta: CheckpointMeta;
  /** CRC-32 of the payload: with the version, what a journal names as the checkpoint it extends. */
  crc: number;
  gpus: Uint8Array[];
  events: DecodedEvent[];
}

/** Bytes of a checkpoint beyond its JSON header, GPU encodings and events. */
export const FIXED_OVERHEAD_BYTES = HEADER_BYTES + 4;
/** Bytes one GPU takes in a checkpoint beyond its encoding. */
export const GPU_OVERHEAD_BYTES = 4;
export { EVENT_OVERHEAD_BYTES } from "./record_codec.ts";

/**
 * Encodes a checkpoint as a list of buffers of about a MiB each. When the
 * whole would exceed `maxBytes`, the oldest events are left out and
 * `completeAfter` moves up accordingly. `pause` is awaited after each
 * buffer, so that a large checkpoint does not hold the event loop.
 *
 * @throws {RangeError} when even the GPUs alone exceed `maxBytes`
 */
export async function encodeCheckpoint(
  state: Omit<CheckpointMeta, "gpus">,
  gpus: readonly Uint8Array[],
  events: readonly CheckpointEvent[],
  maxBytes: number = Infinity,
  pause: () => Promise<void> = () => Promise.resolve(),
): Promise<{ chunks: Uint8Array[]; meta: CheckpointMeta; events: number; crc: number }> {
  // Sizes first, without copying: only labels that changed need encoding.
  const previous = events.map(previousOf);
  const recordBytes = (i: number) => eventBytes(events[i]!, previous[i]!);
  const gpuBytes = gpus.reduce((n, g) => n + GPU_OVERHEAD_BYTES + g.length, 0);
  let historyBytes = 0;
  for (let i = 0; i < events.length; i++) historyBytes += recordBytes(i);
  let first = 0;
  let completeAfter = state.completeAfter;
  const meta = (): CheckpointMeta => ({ ...state, completeAfter, gpus: gpus.length });
  let metaBytes = new TextEncoder().encode(JSON.stringify(meta()));
  const fileBytes = () => FIXED_OVERHEAD_BYTES + metaBytes.length + gpuBytes + historyBytes;
  while (fileBytes() > maxBytes) {
    if (first === events.length) {
      throw new RangeError(`the GPUs alone exceed the checkpoint budget of ${maxBytes} bytes`);
    }
    historyBytes -= recordBytes(first);
    completeAfter = events[first]!.resourceVersion;
    first++;
    metaBytes = new TextEncoder().encode(JSON.stringify(meta()));
  }
  if (metaBytes.length > MAX_META_BYTES) {
    throw new RangeError(
      `checkpoint header of ${metaBytes.length} bytes exceeds ${MAX_META_BYTES}`,
    );
  }
  // Records are packed into buffers of about a MiB: a few native CRC calls
  // and write calls per checkpoint, and no allocation per record. The first
  // buffer is no larger than the whole: a small store's checkpoint needs no MiB.
  const packer = new Packer(fileBytes() - HEADER_BYTES);
  packer.u32(metaBytes.length);
  packer.bytes(metaBytes);
  for (const bytes of gpus) {
    packer.u32(bytes.length);
    packer.bytes(bytes);
    if (packer.takeFull()) await pause();
  }
  for (let i = first; i < events.length; i++) {
    packEvent(packer, events[i]!, previous[i]!);
    if (packer.takeFull()) await pause();
  }
  const chunks = packer.finish();
  let length = 0;
  let crc = 0;
  for (const chunk of chunks) {
    length += chunk.length;
    crc = zlib.crc32(chunk, crc);
  }
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC, 0);
  const view = new DataView(header.buffer);
  view.setUint32(8, CHECKPOINT_FORMAT, true);
  view.setBigUint64(16, BigInt(length), true);
  view.setUint32(24, crc >>> 0, true);
  return {
    chunks: [header, ...chunks],
    meta: meta(),
    events: events.length - first,
    crc: crc >>> 0,
  };
}

/**
 * Decodes a checkpoint file's bytes.
 *
 * @throws {CheckpointError} saying why the bytes are not a usable checkpoint
 */
export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint {
  if (bytes.length < HEADER_BYTES) {
    throw new CheckpointError("truncated", `${bytes.length} bytes, shorter than the header`);
  }
  if (!MAGIC.every((b, i) => bytes[i] === b)) {
    throw new CheckpointError("malformed", "not a device-api-server checkpoint (bad magic)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const format = view.getUint32(8, true);
  if (format > CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      "newer_format",
      `format ${format} is newer than this build reads (${CHECKPOINT_FORMAT}); ` +
        "written by a newer device-api-server",
    );
  }
  if (format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError("unsupported_format", `unsupported format ${format}`);
  }
  const length = Number(view.getBigUint64(16, true));
  const payload = bytes.subarray(HEADER_BYTES);
  if (payload.length < length) {
    throw new CheckpointError("truncated", `payload of ${payload.length} of ${length} bytes`);
  }
  if (payload.length > length) {
    throw new CheckpointError("malformed", `${payload.length - length} bytes after the payload`);
  }
  const crc = view.getUint32(24, true);
  if ((zlib.crc32(payload) >>> 0) !== crc) {
    throw new CheckpointError("checksum", "the payload does not match its CRC-32");
  }
  return { ...decodePayload(payload), crc };
}

function decodePayload(payload: Uint8Array): Omit<DecodedCheckpoint, "crc"> {
  const reader = new Reader(payload);
  const metaLength = reader.u32();
  if (metaLength > MAX_META_BYTES) throw new CheckpointError("malformed", "header too large");
  const meta = parseJson(reader.take(metaLength), "header") as CheckpointMeta;
  if (!isMeta(meta)) throw new CheckpointError("malformed", "header fields missing or invalid");
  const gpus: Uint8Array[] = [];
  for (let i = 0; i < meta.gpus; i++) gpus.push(reader.take(reader.u32()));
  const events: DecodedEvent[] = [];
  while (!reader.done) events.push(readEvent(reader));
  return { meta, gpus, events };
}

function isMeta(m: unknown): m is CheckpointMeta {
  const o = m as Record<string, unknown> | null;
  return !!o && typeof o === "object" && areVersions(o.version, o.completeAfter, o.mark, o.gpus) &&
    isProviderList(o.providers);
}
