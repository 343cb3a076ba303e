/**
 * The pure lease registry, with an injected clock.
 */
import assert from "node:assert/strict";
import { deadlineOf, LeaseRegistry } from "../../src/providers/mod.ts";

function registry(start = 10_000) {
  const clock = { now: start };
  return { clock, leases: new LeaseRegistry({ now: () => clock.now }) };
}

Deno.test("LeaseRegistry.register() sets the lease and counts as a heartbeat", () => {
  const { clock, leases } = registry();
  const first = leases.register("mon", 1000);
  assert.deepEqual(first.record, {
    name: "mon",
    leaseMs: 1000,
    registered: true,
    firstSeenMs: 10_000,
    lastHeartbeatMs: 10_000,
    expired: false,
    expiries: 0,
  });
  assert.equal(first.added, true);
  clock.now += 400;
  const again = leases.register("mon", 5000);
  assert.equal(again.added, false);
  assert.equal(again.record.leaseMs, 5000);
  assert.equal(again.record.lastHeartbeatMs, 10_400);
  assert.equal(again.record.firstSeenMs, 10_000);
  assert.equal(leases.nextDeadline(), 15_400);
});

Deno.test("LeaseRegistry.nextDeadline() is the earliest lease and null when no provider has one", () => {
  const { clock, leases } = registry();
  assert.equal(leases.nextDeadline(), null);
  leases.heartbeat("writer-only");
  assert.equal(leases.nextDeadline(), null, "a provider known from writes has no lease");
  leases.register("no-lease", 0);
  assert.equal(leases.nextDeadline(), null);
  leases.register("slow", 5000);
  leases.register("fast", 1000);
  assert.equal(leases.nextDeadline(), 11_000);
  clock.now += 500;
  leases.heartbeat("fast");
  assert.equal(leases.nextDeadline(), 11_500, "a heartbeat moves the earliest deadline");
  leases.unregister("fast");
  assert.equal(leases.nextDeadline(), 15_000);
});

Deno.test("LeaseRegistry.expireDue() expires exactly the leases that ran out, once", () => {
  const { clock, leases } = registry();
  leases.register("a", 1000);
  leases.register("b", 2000);
  clock.now += 999;
  assert.deepEqual(leases.expireDue(), []);
  clock.now += 1;
  const due = leases.expireDue();
  assert.deepEqual(due.map((r) => [r.name, r.expired, r.expiries]), [["a", true, 1]]);
  assert.equal(leases.isExpired("a"), true);
  assert.equal(leases.isExpired("b"), false);
  assert.equal(leases.nextDeadline(), 12_000, "an expired lease has no deadline");
  clock.now += 5000;
  assert.deepEqual(leases.expireDue().map((r) => r.name), ["b"]);
  assert.deepEqual(leases.expireDue(), [], "an expired provider does not expire again");
  assert.equal(leases.get("a")!.expiries, 1);
});

Deno.test("LeaseRegistry.heartbeat() brings an expired provider back and restarts its lease", () => {
  const { clock, leases } = registry();
  leases.register("a", 1000);
  clock.now += 1000;
  leases.expireDue();
  clock.now += 3000;
  const back = leases.heartbeat("a")!;
  assert.equal(back.recovered, true);
  assert.equal(back.record.expired, false);
  assert.equal(back.record.lastHeartbeatMs, 14_000);
  assert.equal(leases.nextDeadline(), 15_000);
  assert.equal(leases.heartbeat("a")!.recovered, false, "only the first heartbeat recovers");
});

Deno.test("LeaseRegistry.heartbeat() adds an unknown provider without a lease", () => {
  const { leases } = registry();
  const seen = leases.heartbeat("nvml")!;
  assert.equal(seen.added, true);
  assert.equal(seen.record.registered, false);
  assert.equal(seen.record.leaseMs, 0);
  assert.equal(deadlineOf(seen.record), null);
});

Deno.test("LeaseRegistry keeps lastHeartbeatMs when the clock steps back", () => {
  const { clock, leases } = registry();
  leases.register("a", 1000);
  clock.now -= 5000;
  leases.heartbeat("a");
  assert.equal(leases.get("a")!.lastHeartbeatMs, 10_000);
});

Deno.test("LeaseRegistry.register() prunes a provider known only from writes when full", () => {
  const clock = { now: 0 };
  const leases = new LeaseRegistry({ now: () => clock.now, maxProviders: 2 });
  leases.register("a", 0);
  leases.heartbeat("b");
  assert.equal(leases.heartbeat("c"), null, "a write-only name is not tracked when full");
  assert.equal(leases.register("c", 1000).added, true, "a real provider still registers");
  assert.equal(leases.get("b"), undefined, "the write-only one gave way");
  assert.equal(leases.size, 2);
  assert.throws(() => leases.register("d", 1000), RangeError, "every tracked one registered");
  leases.register("a", 2000);
  assert.equal(leases.get("a")!.leaseMs, 2000, "a known provider may still change its lease");
});

Deno.test("LeaseRegistry deadlines follow the monotonic clock, not the wall clock", () => {
  const wall = { now: 1_000_000 };
  const mono = { now: 50 };
  const leases = new LeaseRegistry({ now: () => wall.now, monotonic: () => mono.now });
  leases.register("a", 1000);
  assert.equal(leases.nextDeadline(), 1050);
  wall.now += 3_600_000; // the wall clock jumps an hour ahead: the lease is not cut short
  assert.deepEqual(leases.expireDue(), []);
  wall.now -= 7_200_000; // and back: nor extended
  mono.now += 1000;
  assert.deepEqual(leases.expireDue().map((r) => r.name), ["a"]);
  assert.equal(leases.get("a")!.lastHeartbeatMs, 1_000_000, "reported times stay wall-clock");
});

Deno.test("LeaseRegistry.list() is sorted by name and returns copies", () => {
  const { leases } = registry();
  for (const name of ["c", "a", "b"]) leases.register(name, 1000);
  const list = leases.list();
  assert.deepEqual(list.map((r) => r.name), ["a", "b", "c"]);
  list[0]!.expired = true;
  assert.equal(leases.isExpired("a"), false);
  assert.equal(leases.unregister("a"), true);
  assert.equal(leases.unregister("a"), false);
});
