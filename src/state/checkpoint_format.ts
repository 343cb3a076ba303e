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
 * history event as one byte of type and flags, the labels before the change
 * when they differ (u32 length + JSON), and a u32 length and the encoded
 * Gpu. The objects are the exact bytes the server stores and serves.
 *
 * A reader refuses a newer format explicitly instead of guessing at it.
 *
 * @module
 */
import zlib from "node:zlib";
import type { WatchEventType } from "../api/mod.ts";

/** Format version this build writes; it reads this one only. */
export const CHECKPOINT_FORMAT = 1;

/** Bytes before the payload. */
export const HEADER_BYTES = 32;

/** Largest JSON header: versions and up to 256 providers with their names. */
export const MAX_META_BYTES = 128 * 1024;

const MAGIC = new TextEncoder().encode("DAPICKPT");
const TYPE_CODES: Record<WatchEventType, number> = {
  ADDED: 1,
  MODIFIED: 2,
  DELETED: 3,
  BOOKMARK: 0,
} as Record<WatchEventType, number>;
const TYPE_MASK = 0x0f;
const PREV_SAME = 0x10; // the labels before the change are the labels after it
const PREV_FOLLOW = 0x20; // the labels before the change follow

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

/** One history event to write. */
export interface CheckpointEvent {
  resourceVersion: number;
  type: WatchEventType;
  labels: Readonly<Record<string, string>>;
  previousLabels: Readonly<Record<string, string>> | null;
  gpuBytes: Uint8Array;
}

/** A decoded checkpoint: the header, the GPUs' and the events' encodings. */
export interface DecodedCheckpoint {
  meta: CheckpointMeta;
  gpus: Uint8Array[];
  events: {
    type: WatchEventType;
    previousLabels: Record<string, string> | null | "same";
    gpuBytes: Uint8Array;
  }[];
}

/** Why a checkpoint cannot be read; the label of the load-failure metric. */
export type CheckpointProblem =
  | "truncated"
  | "checksum"
  | "newer_format"
  | "unsupported_format"
  | "malformed"
  | "invalid"
  | "too_large"
  | "unreadable";

/** A checkpoint that cannot be used, with the reason. */
export class CheckpointError extends Error {
  /** The metric label of the reason. */
  readonly problem: CheckpointProblem;

  /** Creates the error. */
  constructor(problem: CheckpointProblem, message: string) {
    super(message);
    this.name = "CheckpointError";
    this.problem = problem;
  }
}

/** Bytes of a checkpoint beyond its JSON header, GPU encodings and events. */
export const FIXED_OVERHEAD_BYTES = HEADER_BYTES + 4;
/** Bytes one GPU takes in a checkpoint beyond its encoding. */
export const GPU_OVERHEAD_BYTES = 4;
/** Bytes one event takes in a checkpoint beyond its encoding and its previous labels. */
export const EVENT_OVERHEAD_BYTES = 5;

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
): Promise<{ chunks: Uint8Array[]; meta: CheckpointMeta; events: number }> {
  // Sizes first, without copying: only labels that changed need encoding.
  const previous = events.map(previousOf);
  const recordBytes = (i: number) =>
    EVENT_OVERHEAD_BYTES + events[i]!.gpuBytes.length +
    (previous[i] === null ? 0 : 4 + previous[i]!.length);
  const gpuBytes = gpus.reduce((n, g) => n + GPU_OVERHEAD_BYTES + g.length, 0);
  let eventBytes = 0;
  for (let i = 0; i < events.length; i++) eventBytes += recordBytes(i);
  let first = 0;
  let completeAfter = state.completeAfter;
  const meta = (): CheckpointMeta => ({ ...state, completeAfter, gpus: gpus.length });
  let metaBytes = new TextEncoder().encode(JSON.stringify(meta()));
  while (FIXED_OVERHEAD_BYTES + metaBytes.length + gpuBytes + eventBytes > maxBytes) {
    if (first === events.length) {
      throw new RangeError(`the GPUs alone exceed the checkpoint budget of ${maxBytes} bytes`);
    }
    eventBytes -= recordBytes(first);
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
  // and write calls per checkpoint, and no allocation per record.
  const packer = new Packer();
  packer.u32(metaBytes.length);
  packer.bytes(metaBytes);
  for (const bytes of gpus) {
    packer.u32(bytes.length);
    packer.bytes(bytes);
    if (packer.takeFull()) await pause();
  }
  for (let i = first; i < events.length; i++) {
    const event = events[i]!;
    const code = TYPE_CODES[event.type];
    if (!code) throw new RangeError(`cannot checkpoint a ${event.type} event`);
    const prev = previous[i]!;
    if (prev === null) {
      packer.u8(code | (event.previousLabels !== null ? PREV_SAME : 0));
    } else {
      packer.u8(code | PREV_FOLLOW);
      packer.u32(prev.length);
      packer.bytes(prev);
    }
    packer.u32(event.gpuBytes.length);
    packer.bytes(event.gpuBytes);
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
  return { chunks: [header, ...chunks], meta: meta(), events: events.length - first };
}

const PACK_BYTES = 1024 * 1024;

// Copies small pieces into large buffers; a piece larger than a buffer stays as it is.
class Packer {
  readonly #out: Uint8Array[] = [];
  #buffer = new Uint8Array(PACK_BYTES);
  #view = new DataView(this.#buffer.buffer);
  #used = 0;
  #full = false;

  /** Whether a buffer filled up since the last call: a point to let other work run. */
  takeFull(): boolean {
    const full = this.#full;
    this.#full = false;
    return full;
  }

  u8(n: number): void {
    if (this.#used + 1 > this.#buffer.length) this.#flush();
    this.#buffer[this.#used++] = n;
  }

  u32(n: number): void {
    if (this.#used + 4 > this.#buffer.length) this.#flush();
    this.#view.setUint32(this.#used, n, true);
    this.#used += 4;
  }

  bytes(piece: Uint8Array): void {
    if (this.#used + piece.length > this.#buffer.length) this.#flush();
    if (piece.length > this.#buffer.length) {
      this.#out.push(piece);
      return;
    }
    this.#buffer.set(piece, this.#used);
    this.#used += piece.length;
  }

  finish(): Uint8Array[] {
    this.#flush();
    return this.#out;
  }

  #flush(): void {
    if (this.#used === 0) return;
    this.#out.push(this.#buffer.subarray(0, this.#used));
    this.#full = true;
    this.#buffer = new Uint8Array(PACK_BYTES);
    this.#view = new DataView(this.#buffer.buffer);
    this.#used = 0;
  }
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
  if ((zlib.crc32(payload) >>> 0) !== view.getUint32(24, true)) {
    throw new CheckpointError("checksum", "the payload does not match its CRC-32");
  }
  return decodePayload(payload);
}

function decodePayload(payload: Uint8Array): DecodedCheckpoint {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (at + n > payload.length) throw new CheckpointError("malformed", "record past the end");
    const out = payload.subarray(at, at + n);
    at += n;
    return out;
  };
  const takeU32 = (): number => {
    take(4);
    return view.getUint32(at - 4, true);
  };
  const metaLength = takeU32();
  if (metaLength > MAX_META_BYTES) throw new CheckpointError("malformed", "header too large");
  const meta = parseJson(take(metaLength), "header") as CheckpointMeta;
  if (!isMeta(meta)) throw new CheckpointError("malformed", "header fields missing or invalid");
  const gpus: Uint8Array[] = [];
  for (let i = 0; i < meta.gpus; i++) gpus.push(take(takeU32()));
  const events: DecodedCheckpoint["events"] = [];
  while (at < payload.length) {
    const flags = take(1)[0]!;
    const type = (Object.keys(TYPE_CODES) as WatchEventType[])
      .find((t) => TYPE_CODES[t] === (flags & TYPE_MASK) && t !== "BOOKMARK");
    if (!type) throw new CheckpointError("malformed", `unknown event type ${flags & TYPE_MASK}`);
    let previousLabels: DecodedCheckpoint["events"][number]["previousLabels"] = null;
    if (flags & PREV_SAME) previousLabels = "same";
    if (flags & PREV_FOLLOW) {
      previousLabels = parseJson(take(takeU32()), "previous labels") as Record<string, string>;
    }
    events.push({ type, previousLabels, gpuBytes: take(takeU32()) });
  }
  return { meta, gpus, events };
}

function isMeta(m: unknown): m is CheckpointMeta {
  const o = m as Record<string, unknown> | null;
  return !!o && typeof o === "object" && [o.version, o.completeAfter, o.mark, o.gpus]
    .every((n) => Number.isSafeInteger(n) && (n as number) >= 0) &&
    Array.isArray(o.providers) &&
    o.providers.every((p) =>
      p && typeof p.name === "string" && Number.isSafeInteger(p.leaseMs) && p.leaseMs >= 0
    );
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new CheckpointError("malformed", `the ${what} is not valid JSON`);
  }
}

// The labels before the change, encoded, when a reader cannot derive them.
function previousOf(event: CheckpointEvent): Uint8Array | null {
  const prev = event.previousLabels;
  if (prev === null || prev === event.labels) return null;
  const json = JSON.stringify(prev);
  return json === JSON.stringify(event.labels) ? null : new TextEncoder().encode(json);
}
