/** The checkpoint format and the version mark: pure encoding, decoding and seeding. */
import assert from "node:assert/strict";
import {
  CHECKPOINT_FORMAT,
  checkpointBudget,
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  parseVersionMark,
  seedVersion,
} from "../../src/state/mod.ts";
import { concat } from "../reliability/_wire.ts";
import { checkpointEvent } from "./_state_helpers.ts";

const META = { version: 30, completeAfter: 10, mark: 1000, savedAtMs: 1, providers: [] };

Deno.test("decodeCheckpoint() reads back what encodeCheckpoint() wrote", async () => {
  const labels = { a: "1" };
  const events = [
    checkpointEvent(20, 50),
    checkpointEvent(21, 10, labels, labels),
    checkpointEvent(22, 10, { a: "2" }, { a: "1" }),
  ];
  const gpus = [new Uint8Array([1, 2, 3]), new Uint8Array(0)];
  const { chunks, meta } = await encodeCheckpoint(META, gpus, events);
  const decoded = decodeCheckpoint(concat(chunks));
  assert.deepEqual(decoded.meta, meta);
  assert.equal(meta.gpus, 2);
  assert.deepEqual(decoded.gpus, gpus);
  assert.deepEqual(decoded.events.map((e) => [e.type, e.previousLabels, e.gpuBytes.length]), [
    ["ADDED", null, 50],
    ["MODIFIED", "same", 10],
    ["MODIFIED", { a: "1" }, 10],
  ]);
});

Deno.test("decodeCheckpoint() refuses truncated, bit-flipped and other-format files by reason", async () => {
  const bytes = concat(
    (await encodeCheckpoint(META, [new Uint8Array(40)], [checkpointEvent(20)])).chunks,
  );
  const reason = (b: Uint8Array) => {
    try {
      decodeCheckpoint(b);
    } catch (err) {
      assert.ok(err instanceof CheckpointError);
      return err.problem;
    }
    return "accepted";
  };
  assert.equal(reason(bytes), "accepted");
  assert.equal(reason(bytes.slice(0, 10)), "truncated");
  assert.equal(reason(bytes.slice(0, bytes.length - 1)), "truncated");
  for (let i = 32; i < bytes.length; i += 7) {
    const flipped = bytes.slice();
    flipped[i]! ^= 0x01;
    assert.equal(reason(flipped), "checksum", `bit flipped at ${i}`);
  }
  const newer = bytes.slice();
  new DataView(newer.buffer).setUint32(8, CHECKPOINT_FORMAT + 1, true);
  assert.equal(reason(newer), "newer_format");
  const older = bytes.slice();
  new DataView(older.buffer).setUint32(8, 0, true);
  assert.equal(reason(older), "unsupported_format");
  const magic = bytes.slice();
  magic[0] = 0;
  assert.equal(reason(magic), "malformed");
  assert.equal(reason(concat([bytes, new Uint8Array(1)])), "malformed");
});

Deno.test("encodeCheckpoint() leaves out the oldest events to stay within maxBytes", async () => {
  const events = [20, 21, 22, 23, 24].map((v) => checkpointEvent(v, 1000));
  const all = await encodeCheckpoint(META, [new Uint8Array(100)], events);
  const size = (c: Uint8Array[]) => c.reduce((n, x) => n + x.length, 0);
  const full = size(all.chunks);
  const trimmed = await encodeCheckpoint(META, [new Uint8Array(100)], events, full - 1500);
  assert.ok(size(trimmed.chunks) <= full - 1500);
  assert.equal(trimmed.events, 3);
  assert.equal(trimmed.meta.completeAfter, 21, "every event after 21 is kept");
  const decoded = decodeCheckpoint(concat(trimmed.chunks));
  assert.deepEqual(decoded.events.map((e) => e.gpuBytes[0]), [22, 23, 24]);
  await assert.rejects(encodeCheckpoint(META, [new Uint8Array(100)], events, 50), RangeError);
});

Deno.test("encodeCheckpoint() packs a small store into one buffer of its size, a large one into MiB buffers", async () => {
  const labels = { a: "1" };
  const small = await encodeCheckpoint(META, [new Uint8Array(300)], [
    checkpointEvent(20, 200),
    checkpointEvent(21, 200, labels, labels),
    checkpointEvent(22, 200, { a: "2" }, { a: "1" }),
  ]);
  const [header, body, ...rest] = small.chunks;
  assert.ok(header && body);
  assert.equal(rest.length, 0);
  assert.equal(body.buffer.byteLength, body.length, "no buffer larger than the checkpoint");
  // 3 MiB of GPUs: whole MiB buffers, so a large checkpoint still costs a few writes.
  const gpus = Array.from({ length: 48 }, () => new Uint8Array(64 * 1024));
  const large = await encodeCheckpoint(META, gpus, []);
  const bodies = large.chunks.slice(1);
  assert.ok(bodies.length >= 3 && bodies.length <= 4, `${bodies.length} buffers`);
  for (const b of bodies.slice(0, -1)) assert.ok(b.buffer.byteLength >= 1 << 20);
  assert.equal(decodeCheckpoint(concat(large.chunks)).gpus.length, 48);
});

Deno.test("checkpointBudget() grows with the limits and takes the history's byte bound when smaller", () => {
  const base = { maxGpus: 8, maxObjectBytes: 65536, watchHistorySize: 100 };
  assert.ok(checkpointBudget(base) >= 8 * 65536 + 100 * 65536);
  assert.ok(checkpointBudget({ ...base, watchHistoryBytes: 1024 }) < checkpointBudget(base));
});

Deno.test("seedVersion() starts above the clock and above the persisted mark", () => {
  assert.equal(seedVersion(5000, 0), 5000);
  assert.equal(seedVersion(5000, 9000), 9001, "clock behind the mark: the mark wins");
});

Deno.test("parseVersionMark() reads format 1 and refuses anything else with a reason", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(parseVersionMark(enc('{"format":1,"mark":42}')), { mark: 42 });
  assert.ok("problem" in parseVersionMark(enc('{"format":2,"mark":42}')));
  assert.ok("problem" in parseVersionMark(enc('{"format":1,"mark":-1}')));
  assert.ok("problem" in parseVersionMark(enc("{")));
});
