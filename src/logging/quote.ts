/**
 * Go `strconv.Quote` for JS strings, so klog text lines quote exactly like Go's do.
 *
 * @module
 */

/** Runes Go's `unicode.IsPrint` rejects (it keeps L, M, N, P, S and ASCII space), plus `"` and `\`. */
const NEEDS_ESCAPE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]|["\\]/gu;

/** Printable ASCII without `"` and `\`: the common case needs no per-rune work. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/**
 * Quotes a string the way Go's `strconv.Quote` does, so klog parsers can read our lines.
 *
 * Control characters become `\x01`/`\x7f` (not JSON's `\u0001`), other non-printable runes
 * `\uXXXX`/`\UXXXXXXXX`, printable non-ASCII stays literal. A lone UTF-16 surrogate (which
 * Go strings cannot hold) is written `\ufffd`.
 *
 * @param s The string to quote.
 * @returns The Go-quoted string, including the surrounding double quotes.
 *
 * @example Usage
 * ```ts
 * import { quoteGo } from "./quote.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(quoteGo('say "hi"\n\x01 ✓'), '"say \\"hi\\"\\n\\x01 ✓"');
 * ```
 */
export function quoteGo(s: string): string {
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
  return `"${s.replace(NEEDS_ESCAPE, escapeRune)}"`;
}

function escapeRune(rune: string): string {
  const short = SHORT_ESCAPES[rune];
  if (short !== undefined) return short;
  const cp = rune.codePointAt(0) ?? 0xfffd;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return "\\ufffd";
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}
