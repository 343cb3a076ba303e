import assert from "node:assert/strict";
import { formatTextLine, type LogRecord, MAX_VALUE_LENGTH } from "../../src/logging/mod.ts";

/** 2024-01-21 15:04:05.123 in the local timezone, as klog's header prints local time. */
const T = new Date(2024, 0, 21, 15, 4, 5, 123);
const H = "0121 15:04:05.123000   12345 server.go:123] ";

function record(overrides: Partial<LogRecord>): LogRecord {
  return {
    severity: "info",
    time: T,
    pid: 12345,
    caller: "server.go:123",
    level: 0,
    name: "",
    msg: "GPU updated",
    values: [],
    kv: [],
    ...overrides,
  };
}

Deno.test("formatTextLine() writes the klog header, quoted message and key/values", () => {
  assert.equal(
    formatTextLine(record({ kv: ["gpu", "gpu-0", "resourceVersion", 42] })),
    'I0121 15:04:05.123000   12345 server.go:123] "GPU updated" gpu="gpu-0" resourceVersion=42',
  );
});

Deno.test("formatTextLine() writes W, E and F severity letters", () => {
  assert.equal(formatTextLine(record({ severity: "warning" })), `W${H}"GPU updated"`);
  assert.equal(formatTextLine(record({ severity: "error" })), `E${H}"GPU updated"`);
  assert.equal(formatTextLine(record({ severity: "fatal" })), `F${H}"GPU updated"`);
});

Deno.test("formatTextLine() zero-pads date, time and milliseconds in local time", () => {
  const time = new Date(2024, 2, 5, 3, 4, 5, 7);
  assert.equal(
    formatTextLine(record({ time, msg: "x" })),
    'I0305 03:04:05.007000   12345 server.go:123] "x"',
  );
});

Deno.test("formatTextLine() right-aligns the pid in 7 columns and never cuts a longer one", () => {
  assert.equal(
    formatTextLine(record({ pid: 42, msg: "x" })),
    'I0121 15:04:05.123000      42 server.go:123] "x"',
  );
  assert.equal(
    formatTextLine(record({ pid: 12345678, msg: "x" })),
    'I0121 15:04:05.123000 12345678 server.go:123] "x"',
  );
});

Deno.test("formatTextLine() writes err first on error lines, then key/values", () => {
  assert.equal(
    formatTextLine(record({
      severity: "error",
      msg: "Cannot sync",
      err: new Error("boom"),
      kv: ["gpu", "gpu-0"],
    })),
    `E${H}"Cannot sync" err="boom" gpu="gpu-0"`,
  );
});

Deno.test("formatTextLine() writes a non-Error err as its value and omits a null one", () => {
  assert.equal(formatTextLine(record({ err: "plain" })), `I${H}"GPU updated" err="plain"`);
  assert.equal(
    formatTextLine(record({ err: { code: 5 } })),
    `I${H}"GPU updated" err="{\\"code\\":5}"`,
  );
  assert.equal(formatTextLine(record({ severity: "error", err: null })), `E${H}"GPU updated"`);
});

Deno.test("formatTextLine() escapes newlines, tabs, quotes and backslashes in the message", () => {
  assert.equal(
    formatTextLine(record({ msg: 'line1\nline2\t"q" \\' })),
    `I${H}"line1\\nline2\\t\\"q\\" \\\\"`,
  );
});

Deno.test("formatTextLine() writes control characters as \\x01 and \\x7f", () => {
  assert.equal(
    formatTextLine(record({ msg: "a\x01b", kv: ["raw", "c\x7fd"] })),
    `I${H}"a\\x01b" raw="c\\x7fd"`,
  );
});

Deno.test("formatTextLine() keeps printable non-ASCII literal", () => {
  assert.equal(
    formatTextLine(record({ msg: "GPU ünhealthy ✓", kv: ["note", "温度"] })),
    `I${H}"GPU ünhealthy ✓" note="温度"`,
  );
});

Deno.test("formatTextLine() quotes single-line values with tabs, quotes and backslashes", () => {
  assert.equal(
    formatTextLine(record({ kv: ["path", 'C:\\x\t"y"'] })),
    `I${H}"GPU updated" path="C:\\\\x\\t\\"y\\""`,
  );
});

Deno.test("formatTextLine() writes a multi-line value as a tab-indented =< block", () => {
  assert.equal(
    formatTextLine(record({ kv: ["out", "first\n\tsecond", "next", 1] })),
    `I${H}"GPU updated" out=<\n\tfirst\n\t\tsecond\n > next=1`,
  );
});

Deno.test("formatTextLine() adds no empty line for a multi-line value ending in newline", () => {
  assert.equal(
    formatTextLine(record({ kv: ["out", "a\nb\n"] })),
    `I${H}"GPU updated" out=<\n\ta\n\tb\n >`,
  );
  assert.equal(formatTextLine(record({ kv: ["out", "\n"] })), `I${H}"GPU updated" out=<\n\t\n >`);
});

Deno.test("formatTextLine() writes numbers, bigints and booleans bare", () => {
  assert.equal(
    formatTextLine(record({
      kv: ["n", 42, "f", -1.5, "z", 0, "big", 12345678901234567890n, "t", true, "no", false],
    })),
    `I${H}"GPU updated" n=42 f=-1.5 z=0 big=12345678901234567890 t=true no=false`,
  );
});

Deno.test("formatTextLine() writes NaN and infinities like Go", () => {
  assert.equal(
    formatTextLine(record({ kv: ["a", NaN, "b", Infinity, "c", -Infinity] })),
    `I${H}"GPU updated" a=NaN b=+Inf c=-Inf`,
  );
});

Deno.test("formatTextLine() writes null and undefined as <nil>", () => {
  assert.equal(
    formatTextLine(record({ kv: ["a", null, "b", undefined] })),
    `I${H}"GPU updated" a=<nil> b=<nil>`,
  );
});

Deno.test("formatTextLine() writes Error values as their quoted message", () => {
  assert.equal(
    formatTextLine(record({ kv: ["cause", new TypeError('disk "full"')] })),
    `I${H}"GPU updated" cause="disk \\"full\\""`,
  );
});

Deno.test("formatTextLine() writes a multi-line err as an =< block", () => {
  assert.equal(
    formatTextLine(record({ severity: "error", err: new Error("a\nb") })),
    `E${H}"GPU updated" err=<\n\ta\n\tb\n >`,
  );
});

Deno.test("formatTextLine() writes other objects as quoted JSON", () => {
  assert.equal(
    formatTextLine(record({
      kv: [
        "obj",
        { a: 1, b: "x", n: 2n, e: new Error("inner") },
        "list",
        [1, "two"],
        "map",
        new Map([["k", 1]]),
        "set",
        new Set([3]),
      ],
    })),
    `I${H}"GPU updated" obj="{\\"a\\":1,\\"b\\":\\"x\\",\\"n\\":2,\\"e\\":\\"inner\\"}" ` +
      `list="[1,\\"two\\"]" map="{\\"k\\":1}" set="[3]"`,
  );
});

Deno.test("formatTextLine() writes an object whose JSON is a string as that string", () => {
  assert.equal(
    formatTextLine(record({ kv: ["at", new Date(Date.UTC(2024, 0, 21))] })),
    `I${H}"GPU updated" at="2024-01-21T00:00:00.000Z"`,
  );
});

Deno.test("formatTextLine() falls back to inspection for objects JSON cannot hold", () => {
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const line = formatTextLine(record({ kv: ["c", cyclic, "s", Symbol("tag")] }));
  assert.match(line, /^I.* c="<ref \*1> \{ name: \\"loop\\", self: \[Circular \*1\] \}" /);
  assert.ok(line.endsWith(' s="Symbol(tag)"'), line);
});

Deno.test("formatTextLine() gives an odd trailing key the value (MISSING)", () => {
  assert.equal(
    formatTextLine(record({ kv: ["gpu", "gpu-0", "orphan"] })),
    `I${H}"GPU updated" gpu="gpu-0" orphan="(MISSING)"`,
  );
});

Deno.test("formatTextLine() orders logger name, err, logger values, then call key/values", () => {
  assert.equal(
    formatTextLine(record({
      severity: "error",
      name: "server/cache",
      err: new Error("boom"),
      values: ["node", "n1"],
      kv: ["gpu", "gpu-0"],
    })),
    `E${H}"GPU updated" logger="server/cache" err="boom" node="n1" gpu="gpu-0"`,
  );
});

Deno.test("formatTextLine() lets a call key override the same logger value key", () => {
  assert.equal(
    formatTextLine(record({ values: ["gpu", "old", "node", "n1"], kv: ["gpu", "new"] })),
    `I${H}"GPU updated" node="n1" gpu="new"`,
  );
});

Deno.test("formatTextLine() cuts strings above MAX_VALUE_LENGTH and counts dropped bytes", () => {
  const a = "a".repeat(MAX_VALUE_LENGTH);
  assert.equal(
    formatTextLine(record({ msg: a + "é✓", kv: ["v", a + "xyz", "ok", a] })),
    `I${H}"${a}…(5 more bytes)" v="${a}…(3 more bytes)" ok="${a}"`,
  );
});

Deno.test("formatTextLine() never cuts a surrogate pair in half", () => {
  const head = "a".repeat(MAX_VALUE_LENGTH - 1);
  assert.equal(
    formatTextLine(record({ kv: ["v", head + "😀b"] })),
    `I${H}"GPU updated" v="${head}…(5 more bytes)"`,
  );
});

Deno.test("formatTextLine() cuts an object's JSON above MAX_VALUE_LENGTH", () => {
  const line = formatTextLine(record({ kv: ["big", { data: "x".repeat(5000) }] }));
  const head = '{\\"data\\":\\"' + "x".repeat(MAX_VALUE_LENGTH - 9);
  assert.equal(line, `I${H}"GPU updated" big="${head}…(915 more bytes)"`);
});
