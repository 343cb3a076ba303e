import assert from "node:assert/strict";
import { DEFAULT_LIMITS, parseCgroupMemoryLimit, planMemory } from "../../src/cache/mod.ts";
import {
  ASSUMED_LIMIT_BYTES,
  BUDGET_SHARE,
  CONNECTION_BYTES,
} from "../../src/cache/memory_budget.ts";

const MiB = 1024 * 1024;
const DEFAULTS = {
  maxGpus: DEFAULT_LIMITS.maxGpus,
  maxObjectBytes: DEFAULT_LIMITS.maxObjectBytes,
  maxMessageBytes: DEFAULT_LIMITS.maxListBytes,
  maxWatchers: DEFAULT_LIMITS.maxWatchers,
  watchHistoryBytes: 0,
  watchQueueBytes: 0,
  // The default listeners (the Unix socket and TCP) at the default --max-connections.
  connections: 2 * 64,
};

Deno.test("planMemory() keeps the defaults' worst case under the chart's 256 MiB with headroom", () => {
  const plan = planMemory(DEFAULTS, null);
  assert.equal(plan.limitBytes, 256 * MiB);
  assert.equal(plan.limitSource, "assumed");
  assert.ok(plan.worstCaseBytes <= ASSUMED_LIMIT_BYTES * BUDGET_SHARE, String(plan.worstCaseBytes));
  const t = plan.terms;
  assert.equal(
    t.base + t.store + t.history + t.watchers + t.inFlight + t.connections,
    plan.worstCaseBytes,
  );
  assert.equal(t.connections, 128 * CONNECTION_BYTES);
});

Deno.test("planMemory() sizes exactly the byte bounds DEFAULT_LIMITS carries", () => {
  const plan = planMemory(DEFAULTS, null);
  assert.equal(plan.watchHistoryBytes, DEFAULT_LIMITS.watchHistoryBytes);
  assert.equal(plan.watchQueueBytes, DEFAULT_LIMITS.watchQueueBytes);
  assert.equal(plan.watchQueuePoolBytes, DEFAULT_LIMITS.watchQueuePoolBytes);
  assert.deepEqual(plan.sized, { history: true, queue: true });
});

Deno.test("planMemory() sizes the byte bounds from a visible cgroup limit", () => {
  const small = planMemory(DEFAULTS, null);
  const large = planMemory(DEFAULTS, 1024 * MiB);
  assert.equal(large.limitSource, "cgroup");
  assert.ok(large.watchHistoryBytes > 10 * small.watchHistoryBytes);
  assert.ok(large.watchQueuePoolBytes > 10 * small.watchQueuePoolBytes);
  assert.ok(large.watchQueueBytes > small.watchQueueBytes);
  assert.ok(large.worstCaseBytes <= 1024 * MiB * BUDGET_SHARE);
});

Deno.test("planMemory() splits the spare between history and queue pool, a watcher an eighth of it", () => {
  const plan = planMemory(DEFAULTS, null);
  assert.ok(Math.abs(plan.watchHistoryBytes - plan.watchQueuePoolBytes) <= 1 * MiB);
  assert.ok(Math.abs(plan.watchQueueBytes - plan.watchQueuePoolBytes / 8) <= 4096);
  assert.equal(plan.terms.watchers - plan.watchQueuePoolBytes, 1024 * (64 * 1024 + 32 + 8192));
  const huge = planMemory(DEFAULTS, 64 * 1024 * MiB);
  assert.equal(huge.watchQueueBytes, 8 * MiB, "one watcher never queues more than 8 MiB");
});

Deno.test("planMemory() keeps the pool at every watcher's bound when the bound is configured", () => {
  const plan = planMemory({ ...DEFAULTS, watchQueueBytes: 65536 }, null);
  assert.equal(plan.watchQueuePoolBytes, 1024 * 65536);
  assert.equal(plan.terms.watchers, 1024 * (65536 + 64 * 1024 + 32 + 8192));
});

Deno.test("planMemory() keeps configured bounds and gives the rest to the sized one", () => {
  const given = planMemory({ ...DEFAULTS, watchQueueBytes: 4096 }, null);
  assert.equal(given.watchQueueBytes, 4096);
  assert.deepEqual(given.sized, { history: true, queue: false });
  assert.ok(given.watchHistoryBytes > planMemory(DEFAULTS, null).watchHistoryBytes);
  const both = planMemory(
    { ...DEFAULTS, watchHistoryBytes: 512 * MiB, watchQueueBytes: 4096 },
    null,
  );
  assert.equal(both.watchHistoryBytes, 512 * MiB);
  assert.ok(both.worstCaseBytes > both.limitBytes, "the caller warns about this one");
});

Deno.test("planMemory() falls back to the minimum bounds when nothing is left", () => {
  const plan = planMemory(DEFAULTS, 64 * MiB);
  assert.equal(plan.watchQueueBytes, 4096);
  assert.equal(plan.watchHistoryBytes, 1 * MiB);
  assert.ok(plan.worstCaseBytes > plan.limitBytes);
});

Deno.test("parseCgroupMemoryLimit() reads bytes, and no limit for max or the v1 sentinel", () => {
  assert.equal(parseCgroupMemoryLimit("268435456\n"), 268435456);
  assert.equal(parseCgroupMemoryLimit("max\n"), null);
  assert.equal(parseCgroupMemoryLimit("9223372036854771712\n"), null);
  assert.equal(parseCgroupMemoryLimit(""), null);
  assert.equal(parseCgroupMemoryLimit("0"), null);
  assert.equal(parseCgroupMemoryLimit("12abc"), null);
});
