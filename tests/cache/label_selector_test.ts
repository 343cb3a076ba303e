import assert from "node:assert/strict";
import { InvalidArgumentError, parseLabelSelector } from "../../src/cache/mod.ts";

// Which of these label sets a selector matches, by index.
const SETS: Record<string, string>[] = [
  {}, // 0
  { zone: "a" }, // 1
  { zone: "b" }, // 2
  { zone: "a", drained: "true" }, // 3
  { zone: "" }, // 4
  { "example.com/tier": "gold", zone: "c" }, // 5
];

function matching(selector: string): number[] {
  const matches = parseLabelSelector(selector);
  return SETS.flatMap((labels, i) => (matches(labels) ? [i] : []));
}

Deno.test("parseLabelSelector() matches everything for an empty or blank selector", () => {
  assert.deepEqual(matching(""), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(matching("   "), [0, 1, 2, 3, 4, 5]);
});

Deno.test("parseLabelSelector() matches equality with = and ==", () => {
  assert.deepEqual(matching("zone=a"), [1, 3]);
  assert.deepEqual(matching("zone==a"), [1, 3]);
  assert.deepEqual(matching("example.com/tier=gold"), [5]);
  assert.deepEqual(matching("zone="), [4], "an empty value matches only an empty value");
});

Deno.test("parseLabelSelector() matches != also when the label is absent", () => {
  assert.deepEqual(matching("zone!=a"), [0, 2, 4, 5]);
});

Deno.test("parseLabelSelector() matches in only when the label is present with a listed value", () => {
  assert.deepEqual(matching("zone in (a,b)"), [1, 2, 3]);
  assert.deepEqual(matching("zone in (c)"), [5]);
  assert.deepEqual(matching("zone in (x)"), []);
});

Deno.test("parseLabelSelector() matches notin also when the label is absent", () => {
  assert.deepEqual(matching("zone notin (a,b)"), [0, 4, 5]);
});

Deno.test("parseLabelSelector() matches exists and !exists by key only", () => {
  assert.deepEqual(matching("zone"), [1, 2, 3, 4, 5]);
  assert.deepEqual(matching("!zone"), [0]);
  assert.deepEqual(matching("drained"), [3]);
  assert.deepEqual(matching("!drained"), [0, 1, 2, 4, 5]);
});

Deno.test("parseLabelSelector() requires every comma-separated requirement", () => {
  assert.deepEqual(matching("zone=a,!drained"), [1]);
  assert.deepEqual(matching("zone in (a,b),zone!=b"), [1, 3]);
  assert.deepEqual(matching("zone notin (a),example.com/tier,zone"), [5]);
  assert.deepEqual(matching("zone=a,zone=b"), []);
});

Deno.test("parseLabelSelector() ignores whitespace around tokens", () => {
  assert.deepEqual(matching("  zone = a , ! drained  "), [1]);
  assert.deepEqual(matching("zone  in  ( a , b )"), [1, 2, 3]);
  assert.deepEqual(matching("zone != a"), [0, 2, 4, 5]);
});

Deno.test("parseLabelSelector() does not treat Object.prototype members as labels", () => {
  const none = {};
  assert.equal(parseLabelSelector("toString")(none), false);
  assert.equal(parseLabelSelector("!constructor")(none), true);
  assert.equal(parseLabelSelector("hasOwnProperty notin (x)")(none), true);
  assert.equal(parseLabelSelector("valueOf in (x)")(none), false);
  assert.equal(parseLabelSelector("toString=x")(none), false);
  assert.equal(parseLabelSelector("toString")({ toString: "" }), true);
});

const MALFORMED = [
  "=a",
  "zone=a=b",
  "zone a",
  "zone in a",
  "zone in (a",
  "zone in a)",
  "zone in (a b)",
  "zone notin",
  "zone=a,",
  ",zone=a",
  "zone=a,,drained",
  "!",
  "!!zone",
  "zone=(a)",
  "zone>1",
  "-zone",
  "zone=a b",
  "x".repeat(4097),
];

for (const selector of MALFORMED) {
  const shown = JSON.stringify(selector.length > 20 ? `${selector.slice(0, 20)}…` : selector);
  Deno.test(`parseLabelSelector() throws InvalidArgumentError for ${shown}`, () => {
    assert.throws(() => parseLabelSelector(selector), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.field, "opts.label_selector");
      return true;
    });
  });
}

Deno.test("parseLabelSelector() names the given field in errors", () => {
  assert.throws(() => parseLabelSelector("a in (", "selector"), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError);
    assert.equal(err.field, "selector");
    assert.match(err.message, /^selector: cannot parse requirement "a in \("$/);
    return true;
  });
});
