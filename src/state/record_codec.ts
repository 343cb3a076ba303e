/**
 * The pieces the checkpoint and the journal share, so that one piece of code
 * encodes and decodes an event for both files: the error type and its
 * reasons, a packer of small pieces into large buffers, a bounds-checked
 * reader, the event encoding and the provider list check. Pure logic.
 *
 * An event is one byte of type and flags, the labels before the change when
 * a reader cannot derive them (u32 length + JSON), and a u32 length and the
 * encoded Gpu (integers little-endian).
 *
 * @module
 */
import type { WatchEventType } from "../api/mod.ts";

/** Why a checkpoint or a journal cannot be read; the label of the load-failure metrics. */
export type CheckpointProblem =
  | "truncated"
  | "checksum"
  | "newer_format"
  | "unsupported_format"
  | "malformed"
  | "invalid"
  | "too_large"
  | "unreadable";

/** A checkpoint (or journal) that cannot be used, with the reason. */
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

/** One history event to write (a WatchEvent is one). */
export interface CheckpointEvent {
  resourceVersion: number;
  type: WatchEventType;
  labels: Readonly<Record<string, string>>;
  previousLabels: Readonly<Record<string, string>> | null;
  gpuBytes: Uint8Array;
}

/** One history event as read back: its type, the labels before it and the Gpu's encoding. */
export interface DecodedEvent {
  type: WatchEventType;
  /** "same" when the labels before the change are the labels after it. */
  previousLabels: Record<string, string> | null | "same";
  gpuBytes: Uint8Array;
}

/** Bytes one event takes beyond its encoding and its previous labels. */
export const EVENT_OVERHEAD_BYTES = 5;

const TYPE_CODES: Record<WatchEventType, number> = {
  ADDED: 1,
  MODIFIED: 2,
  DELETED: 3,
  BOOKMARK: 0,
} as Record<WatchEventType, number>;
const TYPE_BY_CODE = new Map<number, WatchEventType>([
  [1, "ADDED"],
  [2, "MODIFIED"],
  [3, "DELETED"],
]);
const TYPE_MASK = 0x0f;
const PREV_SAME = 0x10; // the labels before the change are the labels after it
const PREV_FOLLOW = 0x20; // the labels before the change follow

/** The labels before the change, encoded, when a reader cannot derive them; else null. */
export function previousOf(event: CheckpointEvent): Uint8Array | null {
  const prev = event.previousLabels;
  if (prev === null || prev === event.labels) return null;
  const json = JSON.stringify(prev);
  return json === JSON.stringify(event.labels) ? null : new TextEncoder().encode(json);
}

/** Bytes `event` takes encoded, given its {@linkcode previousOf}. */
export function eventBytes(event: CheckpointEvent, previous: Uint8Array | null): number {
  return EVENT_OVERHEAD_BYTES + event.gpuBytes.length +
    (previous === null ? 0 : 4 + previous.length);
}

/** Appends `event` (with its {@linkcode previousOf}) to `packer`. */
export function packEvent(
  packer: Packer,
  event: CheckpointEvent,
  previous: Uint8Array | null,
): void {
  const code = TYPE_CODES[event.type];
  if (!code) throw new RangeError(`cannot checkpoint a ${event.type} event`);
  if (previous === null) {
    packer.u8(code | (event.previousLabels !== null ? PREV_SAME : 0));
  } else {
    packer.u8(code | PREV_FOLLOW);
    packer.u32(previous.length);
    packer.bytes(previous);
  }
  packer.u32(event.gpuBytes.length);
  packer.bytes(event.gpuBytes);
}

/**
 * Reads one event at the reader's position.
 *
 * @throws {CheckpointError} when the bytes are not an event
 */
export function readEvent(reader: Reader): DecodedEvent {
  const flags = reader.take(1)[0]!;
  const type = TYPE_BY_CODE.get(flags & TYPE_MASK);
  if (!type) throw new CheckpointError("malformed", `unknown event type ${flags & TYPE_MASK}`);
  let previousLabels: DecodedEvent["previousLabels"] = null;
  if (flags & PREV_SAME) previousLabels = "same";
  if (flags & PREV_FOLLOW) {
    previousLabels = parseJson(reader.take(reader.u32()), "previous labels") as Record<
      string,
      string
    >;
  }
  return { type, previousLabels, gpuBytes: reader.take(reader.u32()) };
}

/** Whether `value` is a list of registered providers as both files keep it. */
export function isProviderList(value: unknown): value is { name: string; leaseMs: number }[] {
  return Array.isArray(value) &&
    value.every((p) =>
      p && typeof p.name === "string" && Number.isSafeInteger(p.leaseMs) && p.leaseMs >= 0
    );
}

/** Whether every value is a non-negative safe integer. */
export function areVersions(...values: unknown[]): boolean {
  return values.every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
}

/**
 * Parses UTF-8 JSON.
 *
 * @throws {CheckpointError} when the bytes are not valid JSON
 */
export function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new CheckpointError("malformed", `the ${what} is not valid JSON`);
  }
}

/** Reads lengths and pieces from a buffer, refusing to read past its end. */
export class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  /** A reader at the start of `bytes`. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** Whether everything was read. */
  get done(): boolean {
    return this.#at >= this.#bytes.length;
  }

  /** The next `n` bytes (a view, not a copy). */
  take(n: number): Uint8Array {
    if (this.#at + n > this.#bytes.length) {
      throw new CheckpointError("malformed", "record past the end");
    }
    const out = this.#bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  /** The next little-endian u32. */
  u32(): number {
    this.take(4);
    return this.#view.getUint32(this.#at - 4, true);
  }
}

const PACK_BYTES = 1024 * 1024;

/**
 * Copies small pieces into buffers of about a MiB (a piece larger than a
 * buffer stays as it is): a few native CRC and write calls per file, and no
 * allocation per record.
 */
export class Packer {
  readonly #out: Uint8Array[] = [];
  readonly #size: number;
  #buffer: Uint8Array;
  #view: DataView;
  #used = 0;
  #full = false;

  /** A packer whose first buffer holds `firstBytes` (a small record needs no MiB). */
  constructor(firstBytes = PACK_BYTES) {
    this.#size = PACK_BYTES;
    this.#buffer = new Uint8Array(Math.min(PACK_BYTES, Math.max(16, firstBytes)));
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Whether a buffer filled up since the last call: a point to let other work run. */
  takeFull(): boolean {
    const full = this.#full;
    this.#full = false;
    return full;
  }

  /** Appends one byte. */
  u8(n: number): void {
    if (this.#used + 1 > this.#buffer.length) this.#flush();
    this.#buffer[this.#used++] = n;
  }

  /** Appends a little-endian u32. */
  u32(n: number): void {
    if (this.#used + 4 > this.#buffer.length) this.#flush();
    this.#view.setUint32(this.#used, n, true);
    this.#used += 4;
  }

  /** Appends a piece. */
  bytes(piece: Uint8Array): void {
    if (this.#used + piece.length > this.#buffer.length) this.#flush();
    if (piece.length > this.#buffer.length) {
      this.#out.push(piece);
      return;
    }
    this.#buffer.set(piece, this.#used);
    this.#used += piece.length;
  }

  /** The packed buffers, in order; the packer is spent. */
  finish(): Uint8Array[] {
    if (this.#used > 0) this.#out.push(this.#buffer.subarray(0, this.#used));
    this.#used = 0;
    return this.#out;
  }

  #flush(): void {
    if (this.#used > 0) {
      this.#out.push(this.#buffer.subarray(0, this.#used));
      this.#full = true;
    }
    // The next buffer only when more follows: finish() allocates nothing.
    this.#buffer = new Uint8Array(this.#size);
    this.#view = new DataView(this.#buffer.buffer);
    this.#used = 0;
  }
}
