import assert from "node:assert/strict";
import {
  InvalidArgumentError,
  MAX_SELECTOR_CHARS,
  MAX_SELECTOR_REQUIREMENTS,
  MAX_SELECTOR_VALUES,
  parseLabelSelector,
} from "../../src/cache/mod.ts";

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
  "-zone",
  "zone=a b",
  "x".repeat(4097),
  "zone in (a,,)", // apimachinery refuses ",," right before ")"
  "zone in (a)b",
  "zone in ((a))",
  "zone>a",
  "zone<",
  "zone>99999999999999999999", // beyond int64
  "zone=-a", // not a label value
  "zone in (a,b c)",
  "Example.com/tier", // prefix must be a lower-case DNS subdomain
  "a/b/c",
  "x".repeat(64),
  "!zone=a",
  "zone in",
  "zone notin (",
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
    assert.equal(
      err.message,
      `selector: unable to parse requirement: found "", expected: ',', ')' or identifier`,
    );
    return true;
  });
});

Deno.test("parseLabelSelector() compares integers with > and < (label and bound as int64)", () => {
  const m = (selector: string) =>
    ([{ n: "5" }, { n: "10" }, { n: "007" }, { n: "x" }, {}] as Record<string, string>[]).flatMap((
      labels,
      i,
    ) => parseLabelSelector(selector)(labels) ? [i] : []);
  assert.deepEqual(m("n>6"), [1, 2]);
  assert.deepEqual(m("n<6"), [0]);
  assert.deepEqual(m("n > 4, n < 8"), [0, 2]);
  assert.deepEqual(m("n>9223372036854775806"), [], "a bound at the int64 edge parses");
});

Deno.test("parseLabelSelector() reads empty set items as the empty value, like apimachinery", () => {
  const m = (selector: string) =>
    ([{ zone: "" }, { zone: "a" }, {}] as Record<string, string>[]).flatMap((labels, i) =>
      parseLabelSelector(selector)(labels) ? [i] : []
    );
  assert.deepEqual(m("zone in ()"), [0]);
  assert.deepEqual(m("zone in (,a)"), [0, 1]);
  assert.deepEqual(m("zone in (a,)"), [0, 1]);
  assert.deepEqual(m("zone in (,)"), [0]);
  assert.deepEqual(m("zone in (,,a)"), [0, 1]);
  assert.deepEqual(m("zone notin ()"), [1, 2]);
  assert.deepEqual(m("zone=,zone"), [0], "an empty exact value before a comma");
});

Deno.test("parseLabelSelector() reads in and notin as identifiers outside the operator position", () => {
  assert.equal(parseLabelSelector("in in (notin)")({ in: "notin" }), true);
  assert.equal(parseLabelSelector("notin=in")({ notin: "in" }), true);
  assert.equal(parseLabelSelector("in")({}), false);
});

Deno.test("parseLabelSelector() splits symbols as apimachinery's lexer does", () => {
  assert.equal(parseLabelSelector("zone==a")({ zone: "a" }), true);
  assert.equal(parseLabelSelector("!zone,zone!=a")({}), true);
  assert.equal(parseLabelSelector("zone in(a)")({ zone: "a" }), true);
  assert.equal(parseLabelSelector("\tzone\n=\ra ")({ zone: "a" }), true);
  assert.throws(() => parseLabelSelector("zone===a"), InvalidArgumentError);
});

/** Asserts that parsing throws an InvalidArgumentError whose message contains `text`. */
function refuses(selector: string, text: string): void {
  assert.throws(() => parseLabelSelector(selector), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, String(err));
    assert.ok(err.message.includes(text), err.message);
    return true;
  });
}

Deno.test("parseLabelSelector() refuses more requirements than the cap, naming it", () => {
  const at = Array.from({ length: MAX_SELECTOR_REQUIREMENTS }, (_, i) => `k${i}`).join(",");
  assert.equal(parseLabelSelector(at)({}), false);
  refuses(`${at},extra`, `too many requirements: the limit is ${MAX_SELECTOR_REQUIREMENTS}`);
});

Deno.test("parseLabelSelector() refuses more set values than the cap, naming it", () => {
  const values = Array.from({ length: MAX_SELECTOR_VALUES }, (_, i) => `v${i}`);
  assert.equal(parseLabelSelector(`k in (${values.join(",")})`)({ k: "v7" }), true);
  refuses(
    `k in (${values.join(",")},w)`,
    `too many values in a set: the limit is ${MAX_SELECTOR_VALUES}`,
  );
  refuses(`k in (${",".repeat(2 * MAX_SELECTOR_VALUES + 2)}a)`, "too many values in a set");
});

Deno.test("parseLabelSelector() refuses a selector longer than the cap, naming it", () => {
  refuses(`k in (${"a,".repeat(MAX_SELECTOR_CHARS)}a)`, `the limit is ${MAX_SELECTOR_CHARS}`);
});

Deno.test("parseLabelSelector() answers backtracking bait at once (linear parse)", () => {
  // The selector that froze the server with a backtracking regular expression (issue 13).
  refuses("a in (" + ", ".repeat(40) + "x", `found "", expected: ',' or ')'`);
  // The same shapes at the length cap: each is one linear pass.
  refuses("a in (" + ", ".repeat(2000) + "x", "too many values in a set");
  refuses("a in (" + " ".repeat(4000) + "x", `found "", expected: ',' or ')'`);
  refuses("a".repeat(4000) + "=", "invalid key");
  refuses("a=" + "b".repeat(4000), "invalid value");
  refuses("a=b," + "!".repeat(4000), "expected: identifier");
});

Deno.test("parseLabelSelector() names the offending key or value", () => {
  refuses("Bad_Prefix/x=a", 'invalid key "Bad_Prefix/x"');
  refuses("x=a_", 'invalid value "a_" for key "x"');
  refuses("x in (ok, -bad)", 'invalid value "-bad" for key "x"');
});

Deno.test("parseLabelSelector() evaluates mutable label sets afresh and frozen ones by identity", () => {
  const matches = parseLabelSelector("zone=a");
  const labels: Record<string, string> = { zone: "a" };
  assert.equal(matches(labels), true);
  labels.zone = "b";
  assert.equal(matches(labels), false, "a mutable object is never remembered");
  const a = Object.freeze({ zone: "a" });
  const b = Object.freeze({ zone: "b" });
  for (let i = 0; i < 3; i++) {
    assert.equal(matches(a), true);
    assert.equal(matches(b), false);
    assert.equal(matches(Object.freeze({ zone: "a" })), true);
  }
});

Deno.test("parseLabelSelector() hands out one compiled matcher per selector string", () => {
  assert.equal(parseLabelSelector("shared=1"), parseLabelSelector("shared=1"));
  assert.notEqual(parseLabelSelector("shared=1"), parseLabelSelector("shared=2"));
});

Deno.test("parseLabelSelector() evaluates a shared selector once per frozen label set", () => {
  let reads = 0;
  // Counts the label values an evaluation reads (zone and tier: two per evaluation).
  const labels = new Proxy(Object.freeze({ zone: "a", tier: "gold" }), {
    get(target, key) {
      reads++;
      return Reflect.get(target, key);
    },
  });
  const selector = "zone=a,tier in (gold,silver),!drained";
  const watchers = Array.from({ length: 100 }, () => parseLabelSelector(selector));
  assert.ok(watchers.every((m) => m(labels)));
  assert.equal(reads, 2, "one evaluation for 100 watchers");
});
