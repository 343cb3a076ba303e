import assert from "node:assert/strict";
import { formatJsonLine, type LogRecord, MAX_VALUE_LENGTH } from "../../src/logging/mod.ts";

/** 2024-01-21T15:04:05.123Z. */
const T = new Date(1705849445123);
const HEAD = '{"ts":1705849445123,"caller":"server.ts:12"';

function record(overrides: Partial<LogRecord>): LogRecord {
  return {
    severity: "info",
    time: T,
    pid: 12345,
    caller: "server.ts:12",
    level: 0,
    name: "",
    msg: "GPU updated",
    values: [],
    kv: [],
    ...overrides,
  };
}

Deno.test("formatJsonLine() writes ts in epoch milliseconds, caller, msg, v, then key/values", () => {
  assert.equal(
    formatJsonLine(record({ kv: ["gpu", "gpu-0", "resourceVersion", 42] })),
    `${HEAD},"msg":"GPU updated","v":0,"gpu":"gpu-0","resourceVersion":42}`,
  );
});

Deno.test("formatJsonLine() writes the verbosity level of a V(n) line as v", () => {
  assert.equal(
    formatJsonLine(record({ level: 2 })),
    `${HEAD},"msg":"GPU updated","v":2}`,
  );
});

Deno.test("formatJsonLine() writes err and no v on error lines", () => {
  assert.equal(
    formatJsonLine(record({
      severity: "error",
      msg: "Cannot sync",
      err: new Error("boom"),
      kv: ["gpu", "gpu-0"],
    })),
    `${HEAD},"msg":"Cannot sync","err":"boom","gpu":"gpu-0"}`,
  );
  assert.equal(
    formatJsonLine(record({ severity: "error", err: null })),
    `${HEAD},"msg":"GPU updated"}`,
  );
});

Deno.test("formatJsonLine() marks warning lines with level warning next to v 0", () => {
  assert.equal(
    formatJsonLine(record({ severity: "warning", kv: ["k", 1] })),
    `${HEAD},"msg":"GPU updated","v":0,"level":"warning","k":1}`,
  );
});

Deno.test("formatJsonLine() writes the logger name between ts and caller like zap", () => {
  assert.equal(
    formatJsonLine(record({ name: "server/cache", values: ["node", "n1"], kv: ["gpu", "g"] })),
    '{"ts":1705849445123,"logger":"server/cache","caller":"server.ts:12","msg":"GPU updated",' +
      '"v":0,"node":"n1","gpu":"g"}',
  );
});

Deno.test("formatJsonLine() writes values as JSON: bigint numbers, Error messages, null", () => {
  assert.equal(
    formatJsonLine(record({
      kv: [
        "big",
        2n ** 64n,
        "f",
        -1.5,
        "t",
        true,
        "e",
        new Error('disk "full"'),
        "n",
        null,
        "u",
        undefined,
        "obj",
        { a: [1, "x"], n: 3n, e: new Error("inner") },
        "at",
        new Date(Date.UTC(2024, 0, 21)),
      ],
    })),
    `${HEAD},"msg":"GPU updated","v":0,"big":18446744073709551616,"f":-1.5,"t":true,` +
      `"e":"disk \\"full\\"","n":null,"u":null,"obj":{"a":[1,"x"],"n":3,"e":"inner"},` +
      `"at":"2024-01-21T00:00:00.000Z"}`,
  );
});

Deno.test("formatJsonLine() writes NaN and infinities as strings like zap", () => {
  assert.equal(
    formatJsonLine(record({ kv: ["a", NaN, "b", Infinity, "c", -Infinity] })),
    `${HEAD},"msg":"GPU updated","v":0,"a":"NaN","b":"+Inf","c":"-Inf"}`,
  );
});

Deno.test("formatJsonLine() escapes control characters JSON-style and keeps non-ASCII", () => {
  const line = formatJsonLine(record({ msg: 'a\x01\n\t"\\ ✓', kv: ["out", "x\ny"] }));
  assert.equal(line, `${HEAD},"msg":"a\\u0001\\n\\t\\"\\\\ ✓","v":0,"out":"x\\ny"}`);
  assert.deepEqual(JSON.parse(line).msg, 'a\x01\n\t"\\ ✓');
});

Deno.test("formatJsonLine() gives an odd trailing key the value (MISSING)", () => {
  assert.equal(
    formatJsonLine(record({ kv: ["gpu", "gpu-0", "orphan"] })),
    `${HEAD},"msg":"GPU updated","v":0,"gpu":"gpu-0","orphan":"(MISSING)"}`,
  );
});

Deno.test("formatJsonLine() lets a call key override the same logger value key", () => {
  assert.equal(
    formatJsonLine(record({ values: ["gpu", "old"], kv: ["gpu", "new"] })),
    `${HEAD},"msg":"GPU updated","v":0,"gpu":"new"}`,
  );
});

Deno.test("formatJsonLine() turns an object with JSON above MAX_VALUE_LENGTH into a cut string", () => {
  const line = formatJsonLine(record({ kv: ["big", { data: "x".repeat(5000) }] }));
  const parsed = JSON.parse(line);
  assert.equal(
    parsed.big,
    '{"data":"' + "x".repeat(MAX_VALUE_LENGTH - 9) + "…(915 more bytes)",
  );
});

Deno.test("formatJsonLine() cuts long message and string values", () => {
  const a = "a".repeat(MAX_VALUE_LENGTH);
  assert.equal(
    formatJsonLine(record({ msg: a + "b", kv: ["s", a + "é"] })),
    `${HEAD},"msg":"${a}…(1 more bytes)","v":0,"s":"${a}…(2 more bytes)"}`,
  );
});
