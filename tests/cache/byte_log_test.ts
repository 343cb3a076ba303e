/**
 * ByteLog: byte strings appended into shared chunks, read back by offset,
 * released oldest first (the watch history's storage).
 *
 * @module
 */
import assert from "node:assert/strict";
import { ByteLog } from "../../src/cache/byte_log.ts";

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed + i) & 0xff);
}

Deno.test("ByteLog.view() reads back every string appended, across chunk boundaries", () => {
  const log = new ByteLog(100);
  const written: { at: number; data: Uint8Array }[] = [];
  for (let i = 0; i < 50; i++) {
    const data = bytes(1 + (i * 17) % 60, i);
    written.push({ at: log.append(data), data });
  }
  for (const { at, data } of written) assert.deepEqual(log.view(at, data.length), data);
  assert.ok(log.heldBytes >= 100 * 10, "fifty strings of ~30 bytes need several 100-byte chunks");
});

Deno.test("ByteLog.append() gives a string larger than a chunk a chunk of its own", () => {
  const log = new ByteLog(100);
  const small = log.append(bytes(10, 1));
  const big = bytes(1000, 2);
  const at = log.append(big);
  assert.deepEqual(log.view(at, 1000), big);
  assert.deepEqual(log.view(small, 10), bytes(10, 1));
  assert.equal(log.heldBytes, 100 + 1000);
});

Deno.test("ByteLog.append() copies: changing the caller's bytes later changes nothing", () => {
  const log = new ByteLog();
  const data = bytes(8, 3);
  const at = log.append(data);
  data.fill(0);
  assert.deepEqual(log.view(at, 8), bytes(8, 3));
});

Deno.test("ByteLog.releaseBefore() lets go of old chunks, so a ring of strings holds a bounded number", () => {
  const log = new ByteLog(1000);
  const live: number[] = []; // offsets of the last 20 strings of 100 bytes: two chunks' worth
  for (let i = 0; i < 10_000; i++) {
    live.push(log.append(bytes(100, i)));
    if (live.length > 20) {
      live.shift();
      log.releaseBefore(live[0]!);
    }
    assert.ok(log.heldBytes <= 4000, `${log.heldBytes} bytes held after ${i + 1} strings`);
  }
  for (const [k, at] of live.entries()) assert.deepEqual(log.view(at, 100), bytes(100, 9980 + k));
});

Deno.test("ByteLog.releaseBefore() keeps the chunk the next append writes to, and views stay valid", () => {
  const log = new ByteLog(100);
  const at = log.append(bytes(60, 5));
  const view = log.view(at, 60);
  log.append(bytes(60, 6)); // a second chunk
  log.releaseBefore(Number.POSITIVE_INFINITY);
  assert.equal(log.heldBytes, 100, "only the write chunk is held");
  assert.deepEqual(view, bytes(60, 5), "a view handed out keeps its bytes");
  const next = log.append(bytes(30, 7));
  assert.deepEqual(log.view(next, 30), bytes(30, 7));
});
