/** The journal format: pure encoding and decoding of its header and records. */
import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  CheckpointError,
  decodeJournal,
  encodeJournalHeader,
  encodeJournalRecord,
  JOURNAL_HEADER_BYTES,
  type JournalMeta,
} from "../../src/state/mod.ts";
import { concat } from "../reliability/_wire.ts";
import { checkpointEvent } from "./_state_helpers.ts";

const BASE = { version: 100, crc: 0xdeadbeef };

function meta(version: number, providers: JournalMeta["providers"] = []): JournalMeta {
  return { version, mark: 5000, savedAtMs: 1, providers };
}

// A journal of three records: two events, none (providers only), one event.
function journal(): { bytes: Uint8Array; ends: number[] } {
  const labels = { a: "1" };
  const records = [
    concat(encodeJournalRecord(meta(102), [
      checkpointEvent(101),
      checkpointEvent(102, 10, labels, labels),
    ])),
    concat(encodeJournalRecord(meta(102, [{ name: "p", leaseMs: 5000 }]), [])),
    concat(encodeJournalRecord(meta(103), [checkpointEvent(103, 20, { a: "2" }, { a: "1" })])),
  ];
  const bytes = concat([encodeJournalHeader(BASE), ...records]);
  const ends: number[] = [];
  let at = JOURNAL_HEADER_BYTES;
  for (const r of records) ends.push(at += r.length);
  return { bytes, ends };
}

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof CheckpointError) return err.problem;
    throw err;
  }
  return "none";
}

Deno.test("decodeJournal() reads back the records encodeJournalRecord() wrote", () => {
  const decoded = decodeJournal(journal().bytes, BASE);
  assert.equal(decoded.stale, false);
  if (decoded.stale) return;
  assert.equal(decoded.tornTail, null);
  assert.deepEqual(decoded.records.map((r) => r.meta), [
    meta(102),
    meta(102, [{ name: "p", leaseMs: 5000 }]),
    meta(103),
  ]);
  assert.deepEqual(
    decoded.records.map((r) => r.events.map((e) => [e.type, e.previousLabels, e.gpuBytes.length])),
    [[["ADDED", null, 40], ["MODIFIED", "same", 10]], [], [["MODIFIED", { a: "1" }, 20]]],
  );
  assert.equal(decoded.records[0]!.events[0]!.gpuBytes[0], 101);
});

Deno.test("decodeJournal() reports a journal of another checkpoint as stale", () => {
  const { bytes } = journal();
  for (const other of [{ ...BASE, version: 99 }, { ...BASE, crc: 1 }]) {
    const decoded = decodeJournal(bytes, other);
    assert.deepEqual(decoded, { stale: true, base: BASE });
  }
  const empty = decodeJournal(encodeJournalHeader(BASE), BASE);
  assert.deepEqual(empty, { stale: false, records: [], tornTail: null });
});

Deno.test("decodeJournal() ends at a torn last record and keeps the records before it", () => {
  const { bytes, ends } = journal();
  // Every cut inside the last record, down to a lone byte of its length.
  for (let cut = ends[1]! + 1; cut < ends[2]!; cut++) {
    const decoded = decodeJournal(bytes.subarray(0, cut), BASE);
    assert.ok(!decoded.stale);
    if (decoded.stale) return;
    assert.equal(decoded.records.length, 2, `cut at ${cut}`);
    assert.match(decoded.tornTail ?? "", /truncated/);
  }
  // A bit flipped in the last record is a torn tail too.
  const flipped = bytes.slice();
  flipped[ends[2]! - 1]! ^= 1;
  const decoded = decodeJournal(flipped, BASE);
  assert.ok(!decoded.stale && decoded.records.length === 2);
  assert.match(!decoded.stale ? decoded.tornTail ?? "" : "", /checksum/);
  // The file grew but its data never reached the disk: zeros after the last whole record.
  const zeros = concat([bytes.subarray(0, ends[1]!), new Uint8Array(64)]);
  const zeroed = decodeJournal(zeros, BASE);
  assert.ok(!zeroed.stale && zeroed.records.length === 2 && zeroed.tornTail !== null);
});

Deno.test("decodeJournal() refuses a bad header or a bad record with more after it", () => {
  const { bytes, ends } = journal();
  const corrupt = (at: number) => {
    const out = bytes.slice();
    out[at]! ^= 0x40;
    return out;
  };
  assert.equal(problemOf(() => decodeJournal(corrupt(ends[0]! - 2), BASE)), "checksum");
  assert.equal(problemOf(() => decodeJournal(corrupt(ends[1]! - 3), BASE)), "checksum");
  // The length of a middle record: it no longer ends where the next begins.
  assert.equal(problemOf(() => decodeJournal(corrupt(JOURNAL_HEADER_BYTES), BASE)), "checksum");
  assert.equal(problemOf(() => decodeJournal(corrupt(0), BASE)), "malformed"); // magic
  assert.equal(problemOf(() => decodeJournal(corrupt(18), BASE)), "checksum"); // base version
  assert.equal(problemOf(() => decodeJournal(bytes.subarray(0, 20), BASE)), "truncated");
  const withFormat = (format: number) => {
    const header = encodeJournalHeader(BASE);
    const view = new DataView(header.buffer);
    view.setUint32(8, format, true);
    // A valid header CRC: the format itself is what is refused.
    view.setUint32(24, zlib.crc32(header.subarray(0, 24)), true);
    return header;
  };
  assert.equal(problemOf(() => decodeJournal(withFormat(2), BASE)), "newer_format");
  assert.equal(problemOf(() => decodeJournal(withFormat(0), BASE)), "unsupported_format");
});
