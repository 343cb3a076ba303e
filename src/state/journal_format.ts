/**
 * The journal file format: the changes since the last checkpoint, appended
 * at most once per coalescing interval. Pure logic, no I/O.
 *
 * Layout (integers little-endian):
 *
 * | bytes | content |
 * |---|---|
 * | 8 | magic `DAPIJRNL` |
 * | 4 | format version ({@linkcode JOURNAL_FORMAT}) |
 * | 4 | CRC-32 of the checkpoint payload it extends |
 * | 8 | version of the checkpoint it extends |
 * | 4 | CRC-32 of the 24 bytes above |
 * | 4 | reserved, 0 |
 * | … | records |
 *
 * Each record: a u32 payload length, the CRC-32 of that length's 4 bytes
 * and the payload, then the payload: a u32-length-prefixed JSON header
 * ({@linkcode JournalMeta}) and the events committed since the previous
 * record, each encoded as in the checkpoint (record_codec.ts).
 *
 * A journal names the checkpoint it extends, so that a journal left from an
 * older checkpoint (a crash between writing a checkpoint and starting a new
 * journal) is recognised and never applied to a newer one. A record cut off
 * at the end (a crash in the middle of an append) ends the journal; a bad
 * header or a bad record with more after it makes the journal unusable.
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

/** Format version of the journal this build writes; it reads this one only. */
export const JOURNAL_FORMAT = 1;

/** Bytes of the journal's header. */
export const JOURNAL_HEADER_BYTES = 32;

/** Bytes of a record beyond its payload. */
export const RECORD_OVERHEAD_BYTES = 8;

const MAGIC = new TextEncoder().encode("DAPIJRNL");

/** The checkpoint a journal extends: its version and the CRC-32 of its payload. */
export interface JournalBase {
  version: number;
  crc: number;
}

/** What the JSON header of a record holds: the state's meta as of the record. */
export interface JournalMeta {
  /** Version of the last write the record covers. */
  version: number;
  /** The version high-water mark. */
  mark: number;
  /** Wall clock when written, for operators only. */
  savedAtMs: number;
  /** Registered providers and their leases. */
  providers: { name: string; leaseMs: number }[];
}

/** One decoded record. */
export interface JournalRecord {
  meta: JournalMeta;
  events: DecodedEvent[];
}

/** A decoded journal. */
export type DecodedJournal =
  /** It extends another checkpoint than the expected one: not to be applied. */
  | { stale: true; base: JournalBase }
  | {
    stale: false;
    records: JournalRecord[];
    /** Why the journal ends early (a torn last record), or null when it is whole. */
    tornTail: string | null;
  };

/** Encodes the header of a journal that extends `base`. */
export function encodeJournalHeader(base: JournalBase): Uint8Array {
  const header = new Uint8Array(JOURNAL_HEADER_BYTES);
  header.set(MAGIC, 0);
  const view = new DataView(header.buffer);
  view.setUint32(8, JOURNAL_FORMAT, true);
  view.setUint32(12, base.crc >>> 0, true);
  view.setBigUint64(16, BigInt(base.version), true);
  view.setUint32(24, zlib.crc32(header.subarray(0, 24)) >>> 0, true);
  return header;
}

/**
 * Encodes one record: `meta` and `events`, oldest first, as buffers to
 * append in order.
 */
export function encodeJournalRecord(
  meta: JournalMeta,
  events: readonly CheckpointEvent[],
): Uint8Array[] {
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
  const previous = events.map(previousOf);
  let length = 4 + metaBytes.length;
  for (let i = 0; i < events.length; i++) length += eventBytes(events[i]!, previous[i]!);
  // Sized to the record: a small append allocates a small buffer, not a MiB.
  const packer = new Packer(RECORD_OVERHEAD_BYTES + length);
  packer.u32(length);
  packer.u32(0); // the CRC, set below
  packer.u32(metaBytes.length);
  packer.bytes(metaBytes);
  for (let i = 0; i < events.length; i++) packEvent(packer, events[i]!, previous[i]!);
  const chunks = packer.finish();
  const first = chunks[0]!;
  let crc = zlib.crc32(first.subarray(0, 4));
  crc = zlib.crc32(first.subarray(8), crc);
  for (let i = 1; i < chunks.length; i++) crc = zlib.crc32(chunks[i]!, crc);
  new DataView(first.buffer, first.byteOffset).setUint32(4, crc >>> 0, true);
  return chunks;
}

/**
 * Decodes a journal's bytes; `expected` is the checkpoint it must extend.
 *
 * @throws {CheckpointError} when the header or a record before the last is unusable
 */
export function decodeJournal(bytes: Uint8Array, expected: JournalBase): DecodedJournal {
  const base = decodeJournalHeader(bytes);
  if (base.version !== expected.version || base.crc !== (expected.crc >>> 0)) {
    return { stale: true, base };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const records: JournalRecord[] = [];
  let at = JOURNAL_HEADER_BYTES;
  while (at < bytes.length) {
    const problem = recordProblem(bytes, view, at);
    if (problem !== null) {
      // A crash in the middle of an append leaves a prefix of the record, or
      // zeros where the file grew but the data never reached the disk.
      if (problem.end >= bytes.length || isZero(bytes.subarray(at))) {
        return { stale: false, records, tornTail: `${problem.reason} at byte ${at}` };
      }
      throw new CheckpointError(
        "checksum",
        `the journal record at byte ${at} does not match its CRC-32, and more follows it`,
      );
    }
    const length = view.getUint32(at, true);
    records.push(decodeRecord(bytes.subarray(at + RECORD_OVERHEAD_BYTES, at + 8 + length)));
    at += RECORD_OVERHEAD_BYTES + length;
  }
  return { stale: false, records, tornTail: null };
}

function decodeJournalHeader(bytes: Uint8Array): JournalBase {
  if (bytes.length < JOURNAL_HEADER_BYTES) {
    throw new CheckpointError(
      "truncated",
      `journal of ${bytes.length} bytes, shorter than its header`,
    );
  }
  if (!MAGIC.every((b, i) => bytes[i] === b)) {
    throw new CheckpointError("malformed", "not a device-api-server journal (bad magic)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if ((zlib.crc32(bytes.subarray(0, 24)) >>> 0) !== view.getUint32(24, true)) {
    throw new CheckpointError("checksum", "the journal header does not match its CRC-32");
  }
  const format = view.getUint32(8, true);
  if (format > JOURNAL_FORMAT) {
    throw new CheckpointError(
      "newer_format",
      `journal format ${format} is newer than this build reads (${JOURNAL_FORMAT})`,
    );
  }
  if (format !== JOURNAL_FORMAT) {
    throw new CheckpointError("unsupported_format", `unsupported journal format ${format}`);
  }
  const version = Number(view.getBigUint64(16, true));
  if (!Number.isSafeInteger(version)) {
    throw new CheckpointError("malformed", `journal base version ${version} out of range`);
  }
  return { version, crc: view.getUint32(12, true) };
}

// Why the record at `at` is unusable (and where it claims to end), or null.
function recordProblem(
  bytes: Uint8Array,
  view: DataView,
  at: number,
): { reason: "truncated" | "checksum"; end: number } | null {
  if (at + RECORD_OVERHEAD_BYTES > bytes.length) return { reason: "truncated", end: bytes.length };
  const end = at + RECORD_OVERHEAD_BYTES + view.getUint32(at, true);
  if (end > bytes.length) return { reason: "truncated", end };
  let crc = zlib.crc32(bytes.subarray(at, at + 4));
  crc = zlib.crc32(bytes.subarray(at + RECORD_OVERHEAD_BYTES, end), crc);
  return (crc >>> 0) === view.getUint32(at + 4, true) ? null : { reason: "checksum", end };
}

function decodeRecord(payload: Uint8Array): JournalRecord {
  const reader = new Reader(payload);
  const meta = parseJson(reader.take(reader.u32()), "journal record header") as JournalMeta;
  if (
    !meta || typeof meta !== "object" ||
    !areVersions(meta.version, meta.mark) || !isProviderList(meta.providers)
  ) {
    throw new CheckpointError("malformed", "journal record header fields missing or invalid");
  }
  const events: DecodedEvent[] = [];
  while (!reader.done) events.push(readEvent(reader));
  return { meta, events };
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
