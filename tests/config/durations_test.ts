import assert from "node:assert/strict";
import { formatDurationMs, parseDurationMs, ValueError } from "../../src/config/mod.ts";

Deno.test("formatDurationMs() writes durations as Go prints them, without zero units", () => {
  assert.equal(formatDurationMs(0), "0s");
  assert.equal(formatDurationMs(500), "500ms");
  assert.equal(formatDurationMs(1500), "1.5s");
  assert.equal(formatDurationMs(10_000), "10s");
  assert.equal(formatDurationMs(90_000), "1m30s");
  assert.equal(formatDurationMs(3_600_000), "1h");
  assert.equal(formatDurationMs(86_400_000), "24h");
});

Deno.test("parseDurationMs() reads Go durations and refuses the rest", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["500ms", 500],
    ["1.5s", 1500],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    [".5s", 500],
    ["250us", 0.25],
    ["+2s", 2000],
  ];
  for (const [raw, ms] of cases) assert.equal(parseDurationMs(raw, 86_400_000), ms, raw);
  for (const bad of ["", "10", "s", "-1s", "1d", "1m30", "25h"]) {
    assert.throws(() => parseDurationMs(bad, 86_400_000), ValueError, bad);
  }
});

Deno.test("formatDurationMs() output parses back to the same duration", () => {
  for (const ms of [0, 1, 999, 1000, 1500, 61_000, 3_599_000, 3_600_000, 86_400_000]) {
    assert.equal(parseDurationMs(formatDurationMs(ms), 86_400_000), ms, String(ms));
  }
});
