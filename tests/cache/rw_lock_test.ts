import assert from "node:assert/strict";
import { type LockHold, type LockKind, RwLock } from "../../src/cache/mod.ts";
import { ticks } from "./_helpers.ts";

// Records "<id>+" when a holder enters and "<id>-" when it leaves, in order.
class Log {
  readonly entries: string[] = [];
  readonly holds = new Map<string, LockHold>();

  read(lock: RwLock, id: string): Promise<LockHold> {
    return lock.acquireRead().then((hold) => this.#enter(id, hold));
  }

  write(lock: RwLock, id: string): Promise<LockHold> {
    return lock.acquireWrite().then((hold) => this.#enter(id, hold));
  }

  release(id: string): void {
    const hold = this.holds.get(id);
    assert.ok(hold, `${id} does not hold the lock`);
    this.entries.push(`${id}-`);
    hold.release();
  }

  #enter(id: string, hold: LockHold): LockHold {
    this.entries.push(`${id}+`);
    this.holds.set(id, hold);
    return hold;
  }
}

Deno.test("RwLock.acquireRead() lets readers share the lock", async () => {
  const lock = new RwLock();
  const log = new Log();
  await log.read(lock, "r1");
  await log.read(lock, "r2");
  assert.equal(lock.readers, 2);
  assert.equal(lock.waiting, 0);
  log.release("r1");
  log.release("r2");
  assert.deepEqual(log.entries, ["r1+", "r2+", "r1-", "r2-"]);
  assert.equal(lock.readers, 0);
});

Deno.test("RwLock.acquireWrite() waits for readers already inside", async () => {
  const lock = new RwLock();
  const log = new Log();
  await log.read(lock, "r1");
  await log.read(lock, "r2");
  const w = log.write(lock, "w");
  await ticks();
  assert.deepEqual(log.entries, ["r1+", "r2+"]);
  assert.equal(lock.waiting, 1);
  log.release("r1");
  await ticks();
  assert.deepEqual(log.entries, ["r1+", "r2+", "r1-"], "one reader is still inside");
  log.release("r2");
  await w;
  assert.deepEqual(log.entries, ["r1+", "r2+", "r1-", "r2-", "w+"]);
  assert.equal(lock.writing, true);
});

Deno.test("RwLock.acquireRead() queues behind a waiting writer (writer preference)", async () => {
  const lock = new RwLock();
  const log = new Log();
  await log.read(lock, "r1");
  const w = log.write(lock, "w");
  const r2 = log.read(lock, "r2");
  await ticks();
  assert.deepEqual(log.entries, ["r1+"], "r2 must not join r1 while w waits");
  assert.equal(lock.waiting, 2);
  log.release("r1");
  await w;
  await ticks();
  assert.deepEqual(log.entries, ["r1+", "r1-", "w+"]);
  log.release("w");
  await r2;
  assert.deepEqual(log.entries, ["r1+", "r1-", "w+", "w-", "r2+"]);
});

Deno.test("RwLock.acquireRead() admits readers queued behind a writer together after it", async () => {
  const lock = new RwLock();
  const log = new Log();
  await log.write(lock, "w1");
  const readers = [log.read(lock, "r1"), log.read(lock, "r2"), log.read(lock, "r3")];
  await ticks();
  assert.equal(lock.waiting, 3);
  log.release("w1");
  await Promise.all(readers);
  assert.deepEqual(log.entries, ["w1+", "w1-", "r1+", "r2+", "r3+"]);
  assert.equal(lock.readers, 3, "all three are inside at once");
});

Deno.test("RwLock.acquireRead() admits only the readers ahead of the next writer", async () => {
  const lock = new RwLock();
  const log = new Log();
  await log.write(lock, "w1");
  const r1 = log.read(lock, "r1");
  const r2 = log.read(lock, "r2");
  const w2 = log.write(lock, "w2");
  const r3 = log.read(lock, "r3");
  log.release("w1");
  await Promise.all([r1, r2]);
  await ticks();
  assert.deepEqual(log.entries, ["w1+", "w1-", "r1+", "r2+"], "r3 waits behind w2");
  log.release("r1");
  log.release("r2");
  await w2;
  await ticks();
  assert.deepEqual(log.entries.slice(4), ["r1-", "r2-", "w2+"]);
  log.release("w2");
  await r3;
  assert.deepEqual(log.entries.slice(7), ["w2-", "r3+"]);
});

Deno.test("RwLock.acquireWrite() admits writers in arrival order (FIFO)", async () => {
  const lock = new RwLock();
  const log = new Log();
  await log.write(lock, "w1");
  const w2 = log.write(lock, "w2");
  const w3 = log.write(lock, "w3");
  const w4 = log.write(lock, "w4");
  await ticks();
  assert.equal(lock.waiting, 3);
  log.release("w1");
  await w2;
  await ticks();
  log.release("w2");
  await w3;
  await ticks();
  log.release("w3");
  await w4;
  assert.deepEqual(log.entries, ["w1+", "w1-", "w2+", "w2-", "w3+", "w3-", "w4+"]);
});

Deno.test("RwLock.acquireWrite() is not starved by a continuous stream of readers", async () => {
  const lock = new RwLock();
  const log = new Log();
  // Overlapping readers: each new one enters before the previous one leaves.
  await log.read(lock, "a0");
  await log.read(lock, "a1");
  log.release("a0");
  await log.read(lock, "a2");
  const w = log.write(lock, "w");
  const later: Promise<LockHold>[] = [];
  for (let i = 0; i < 50; i++) {
    later.push(log.read(lock, `b${i}`));
    await ticks(2);
  }
  assert.equal(lock.readers, 2, "no reader joins once the writer waits");
  assert.equal(lock.waiting, 51);
  log.release("a1");
  log.release("a2");
  await w;
  await ticks();
  assert.deepEqual(log.entries.slice(-3), ["a1-", "a2-", "w+"]);
  log.release("w");
  await Promise.all(later);
  assert.equal(lock.readers, 50, "the readers behind the writer enter together after it");
  const enteredAfter = log.entries.slice(log.entries.indexOf("w-") + 1);
  assert.deepEqual(enteredAfter, Array.from({ length: 50 }, (_, i) => `b${i}+`));
});

Deno.test("LockHold.release() is a no-op the second time for a reader", async () => {
  const lock = new RwLock();
  const log = new Log();
  const r1 = await log.read(lock, "r1");
  await log.read(lock, "r2");
  const w = log.write(lock, "w");
  r1.release();
  r1.release();
  await ticks();
  assert.equal(lock.readers, 1, "the second release must not count r2 out");
  assert.equal(lock.writing, false);
  log.release("r2");
  await w;
  assert.equal(lock.writing, true);
});

Deno.test("LockHold.release() is a no-op the second time for a writer", async () => {
  const lock = new RwLock();
  const log = new Log();
  const w1 = await log.write(lock, "w1");
  const w2 = log.write(lock, "w2");
  const r = log.read(lock, "r");
  w1.release();
  await w2;
  w1.release();
  await ticks();
  assert.equal(lock.writing, true, "w2 still holds the lock");
  assert.deepEqual(log.entries, ["w1+", "w2+"], "r must wait for w2");
  log.release("w2");
  await r;
  assert.deepEqual(log.entries, ["w1+", "w2+", "w2-", "r+"]);
});

Deno.test("RwLock.acquireWrite() and acquireRead() holds are released by `using` disposal", async () => {
  const lock = new RwLock();
  const log = new Log();
  const queued = (async () => {
    await ticks(2);
    return log.read(lock, "r");
  })();
  {
    using _write = await lock.acquireWrite();
    assert.equal(lock.writing, true);
    await ticks(5);
    assert.equal(lock.waiting, 1, "the reader has asked for the lock");
    assert.deepEqual(log.entries, [], "the reader waits while the block runs");
  }
  assert.equal(lock.writing, false);
  await queued;
  assert.deepEqual(log.entries, ["r+"]);
  {
    using _read = await lock.acquireRead();
    assert.equal(lock.readers, 2);
  }
  assert.equal(lock.readers, 1);
});

Deno.test("RwLock.tryAcquireRead() returns undefined when a writer holds the lock", async () => {
  const lock = new RwLock();
  const w = await lock.acquireWrite();
  assert.equal(lock.tryAcquireRead(), undefined);
  w.release();
  const r = lock.tryAcquireRead();
  assert.ok(r);
  assert.equal(lock.readers, 1);
  r.release();
});

Deno.test("RwLock.tryAcquireRead() returns undefined when a writer waits", async () => {
  const lock = new RwLock();
  const r1 = lock.tryAcquireRead();
  assert.ok(r1, "uncontended: acquired at once");
  const r2 = lock.tryAcquireRead();
  assert.ok(r2, "readers share");
  const w = lock.acquireWrite();
  assert.equal(lock.tryAcquireRead(), undefined);
  assert.equal(lock.readers, 2);
  r1.release();
  r2.release();
  (await w).release();
  assert.ok(lock.tryAcquireRead());
});

Deno.test("RwLock onAcquire reports the kind and the wait measured by the injected clock", async () => {
  let clock = 1000;
  const seen: [LockKind, number][] = [];
  const lock = new RwLock({ now: () => clock, onAcquire: (kind, ms) => seen.push([kind, ms]) });
  const r = await lock.acquireRead();
  lock.tryAcquireRead()?.release();
  assert.deepEqual(seen, [["read", 0], ["read", 0]]);
  const w = lock.acquireWrite(); // queued at 1000
  clock = 1040;
  const r2 = lock.acquireRead(); // queued at 1040
  clock = 1042;
  r.release(); // w granted at 1042
  const wHold = await w;
  assert.deepEqual(seen.slice(2), [["write", 42]]);
  clock = 1100;
  wHold.release(); // r2 granted at 1100
  (await r2).release();
  assert.deepEqual(seen.slice(3), [["read", 60]]);
  (await lock.acquireWrite()).release();
  assert.deepEqual(seen.slice(4), [["write", 0]]);
});
