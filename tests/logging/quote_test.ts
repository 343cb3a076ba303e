import assert from "node:assert/strict";
import { quoteGo } from "../../src/logging/mod.ts";

Deno.test("quoteGo() wraps plain ASCII in double quotes unchanged", () => {
  assert.equal(quoteGo(""), '""');
  assert.equal(quoteGo("GPU updated: gpu-0 (ok) ~!@#$%^&*"), '"GPU updated: gpu-0 (ok) ~!@#$%^&*"');
});

Deno.test("quoteGo() escapes double quotes and backslashes", () => {
  assert.equal(quoteGo('say "hi" C:\\dir'), '"say \\"hi\\" C:\\\\dir"');
});

Deno.test("quoteGo() uses Go's short escapes for \\a \\b \\f \\n \\r \\t \\v", () => {
  assert.equal(quoteGo("\x07\b\f\n\r\t\v"), '"\\a\\b\\f\\n\\r\\t\\v"');
});

Deno.test("quoteGo() writes other control characters and DEL as \\xNN", () => {
  assert.equal(quoteGo("a\x00b\x01c\x1bd\x7f"), '"a\\x00b\\x01c\\x1bd\\x7f"');
});

Deno.test("quoteGo() keeps printable non-ASCII literal", () => {
  assert.equal(quoteGo("GPU ünhealthy ✓"), '"GPU ünhealthy ✓"');
  assert.equal(quoteGo("温度 😀 e\u0301"), '"温度 😀 e\u0301"');
});

Deno.test("quoteGo() writes non-printable BMP runes as \\uXXXX like strconv.Quote", () => {
  // C1 control, no-break space (not ASCII space), zero-width space, line separator, BOM,
  // private use: all outside Go's unicode.IsPrint.
  assert.equal(
    quoteGo("\u0085\u00a0\u200b\u2028\ufeff\ue000"),
    '"\\u0085\\u00a0\\u200b\\u2028\\ufeff\\ue000"',
  );
});

Deno.test("quoteGo() writes non-printable astral runes as \\UXXXXXXXX", () => {
  assert.equal(quoteGo("tag\u{e0001}"), '"tag\\U000e0001"');
});

Deno.test("quoteGo() writes lone surrogates as \\ufffd", () => {
  assert.equal(quoteGo("a\ud800b\udc00"), '"a\\ufffdb\\ufffd"');
});
