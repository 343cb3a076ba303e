/** BucketHistogram against prom-client's own Histogram, through a registry's exposition. */
import assert from "node:assert/strict";
import { Histogram, Registry } from "prom-client";
import { BucketHistogram } from "../../src/metrics/bucket_histogram.ts";
import { parseExposition, type Sample, scrapeRegistry } from "./_exposition.ts";

const BUCKETS = [0.001, 0.01, 0.1, 1];

function ours(registry = new Registry()) {
  const h = new BucketHistogram({
    name: "work_seconds",
    help: "Time spent working.",
    labelNames: ["kind", "side"],
    buckets: BUCKETS,
    registry,
  });
  return { registry, h };
}

// One string per sample, so that two expositions compare whatever their order.
function lines(samples: Sample[]): string[] {
  return samples.map((s) => {
    const labels = Object.keys(s.labels).sort().map((k) => `${k}=${s.labels[k]}`);
    return `${s.name}{${labels.join(",")}} ${s.value}`;
  }).sort();
}

Deno.test("BucketHistogram exports the samples prom-client's Histogram exports for the same observations", async () => {
  const { registry, h } = ours();
  const reference = new Registry();
  const theirs = new Histogram({
    name: "work_seconds",
    help: "Time spent working.",
    labelNames: ["kind", "side"],
    buckets: BUCKETS,
    registers: [reference],
  });
  // On a bound, below the first, between, above the last, and zero.
  const observations: [string, string, number][] = [
    ["get", "read", 0.001],
    ["get", "read", 0.0005],
    ["get", "read", 0.05],
    ["get", "read", 7],
    ["put", "write", 0],
    ["put", "write", 1],
  ];
  for (const [kind, side, value] of observations) {
    h.series(kind, side).observe(value);
    theirs.observe({ kind, side }, value);
  }
  const mine = await scrapeRegistry(registry);
  const expected = await scrapeRegistry(reference);
  assert.deepEqual(lines(mine.samples), lines(expected.samples));
  assert.equal(mine.types.get("work_seconds"), "histogram");
  const text = await registry.metrics();
  assert.match(text, /^# HELP work_seconds Time spent working\.$/m);
});

Deno.test("BucketHistogram counts a value equal to a bound in that bucket (le is inclusive)", async () => {
  const { registry, h } = ours();
  h.series("a", "b").observe(0.01);
  const m = await scrapeRegistry(registry);
  const l = { kind: "a", side: "b" };
  assert.equal(m.value("work_seconds_bucket", { ...l, le: "0.001" }), 0);
  assert.equal(m.value("work_seconds_bucket", { ...l, le: "0.01" }), 1);
  assert.equal(m.value("work_seconds_bucket", { ...l, le: "+Inf" }), 1);
  assert.equal(m.value("work_seconds_sum", l), 0.01);
  assert.equal(m.value("work_seconds_count", l), 1);
});

Deno.test("BucketHistogram exports a resolved series at 0 before its first observation", async () => {
  const { registry, h } = ours();
  h.series("idle", "read");
  const m = await scrapeRegistry(registry);
  assert.equal(m.value("work_seconds_count", { kind: "idle", side: "read" }), 0);
  assert.equal(m.find("work_seconds_bucket", { kind: "idle" }).length, BUCKETS.length + 1);
});

Deno.test("BucketHistogram.series() returns the same series for the same values", () => {
  const { h } = ours();
  assert.equal(h.series("a", "b"), h.series("a", "b"));
  assert.notEqual(h.series("a", "b"), h.series("a", "c"));
  assert.notEqual(h.series("a\0b", ""), h.series("a", "b\0"), "values are not confused by joining");
});

Deno.test("BucketHistogram ignores a value that is not a finite number", async () => {
  const { registry, h } = ours();
  const s = h.series("a", "b");
  s.observe(Number.NaN);
  s.observe(Infinity);
  s.observe(0.5);
  const m = await scrapeRegistry(registry);
  assert.equal(m.value("work_seconds_count", { kind: "a" }), 1);
  assert.equal(m.value("work_seconds_sum", { kind: "a" }), 0.5);
});

Deno.test("BucketHistogram refuses a wrong number of label values, unordered buckets and a taken name", () => {
  const { registry, h } = ours();
  assert.throws(() => h.series("only-one"), /1 values for 2 labels \(kind, side\)/);
  const options = { name: "x_seconds", help: "x", labelNames: [], registry };
  assert.throws(
    () => new BucketHistogram({ ...options, buckets: [1, 0.5] }),
    /buckets must ascend/,
  );
  assert.throws(() => new BucketHistogram({ ...options, buckets: [1, 1] }), /buckets must ascend/);
  assert.throws(() => new BucketHistogram({ ...options, buckets: [NaN] }), /buckets must ascend/);
  assert.throws(() => ours(registry), /already been registered/);
});

Deno.test("BucketHistogram.reset() zeroes every series (registry.resetMetrics())", async () => {
  const { registry, h } = ours();
  h.series("a", "b").observe(0.5);
  registry.resetMetrics();
  const m = parseExposition(await registry.metrics());
  assert.equal(m.value("work_seconds_count", { kind: "a" }), 0);
  assert.equal(m.value("work_seconds_bucket", { kind: "a", le: "1" }), 0);
});
