/**
 * Value normalisation shared by the text and JSON formats: bounding, pairing, JSON encoding.
 *
 * @module
 */

/**
 * Longest string (in UTF-16 code units) a log line carries per value; longer ones are cut
 * and end in `…(N more bytes)`, N counting the UTF-8 bytes dropped.
 */
export const MAX_VALUE_LENGTH = 4096;

/** What klog writes for the value of an odd trailing key. */
export const MISSING_VALUE = "(MISSING)";

/** A log value reduced to the few shapes both formats know how to write. */
export type Normalized =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "bare"; readonly text: string; readonly json: string }
  | { readonly kind: "nil" }
  | { readonly kind: "json"; readonly json: string };

const NIL: Normalized = { kind: "nil" };

/** Cuts a string to MAX_VALUE_LENGTH so no single value makes a log line unbounded. */
export function truncate(s: string): string {
  if (s.length <= MAX_VALUE_LENGTH) return s;
  let cut = MAX_VALUE_LENGTH;
  const last = s.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--; // keep a surrogate pair whole
  return `${s.slice(0, cut)}…(${utf8Length(s, cut)} more bytes)`;
}

function utf8Length(s: string, from: number): number {
  let bytes = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3; // BMP rune, or a lone surrogate encoded as U+FFFD
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Turns a key/value list into pairs, giving an odd trailing key klog's "(MISSING)". */
export function toPairs(kv: readonly unknown[]): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  for (let i = 0; i < kv.length; i += 2) {
    pairs.push([keyString(kv[i]), i + 1 < kv.length ? kv[i + 1] : MISSING_VALUE]);
  }
  return pairs;
}

/** Joins logger values and per-call values; a repeated key keeps only its last occurrence. */
export function mergePairs(
  values: readonly unknown[],
  kv: readonly unknown[],
): [string, unknown][] {
  const all = [...toPairs(values), ...toPairs(kv)];
  if (all.length < 2) return all;
  const lastIndex = new Map<string, number>();
  all.forEach(([key], i) => lastIndex.set(key, i));
  return all.filter(([key], i) => lastIndex.get(key) === i);
}

function keyString(key: unknown): string {
  return truncate(typeof key === "string" ? key : safeString(key));
}

/** The text an error contributes to `err`: an Error's message, otherwise the value itself. */
export function errorText(err: unknown): string {
  const n = normalize(err);
  switch (n.kind) {
    case "string":
      return n.value;
    case "bare":
      return n.text;
    case "nil":
      return "<nil>";
    case "json":
      return n.json;
  }
}

/** Reduces any value to a bounded shape: Error → message, objects → JSON, numbers bare. */
export function normalize(value: unknown): Normalized {
  switch (typeof value) {
    case "string":
      return { kind: "string", value: truncate(value) };
    case "number":
      return numberValue(value);
    case "bigint":
    case "boolean":
      return { kind: "bare", text: String(value), json: String(value) };
    case "undefined":
      return NIL;
    case "symbol":
    case "function":
      return { kind: "string", value: truncate(inspect(value)) };
  }
  if (value === null) return NIL;
  if (value instanceof Error) return { kind: "string", value: truncate(safeMessage(value)) };
  const json = toJson(value);
  if (json === undefined) return { kind: "string", value: truncate(inspect(value)) };
  if (json.startsWith('"')) return { kind: "string", value: truncate(JSON.parse(json)) };
  if (json.length > MAX_VALUE_LENGTH) return { kind: "string", value: truncate(json) };
  return { kind: "json", json };
}

function numberValue(n: number): Normalized {
  if (Number.isFinite(n)) return { kind: "bare", text: String(n), json: String(n) };
  // Go prints NaN and ±Inf bare; JSON cannot hold them, so zap writes them as strings.
  const text = Number.isNaN(n) ? "NaN" : n > 0 ? "+Inf" : "-Inf";
  return { kind: "bare", text, json: `"${text}"` };
}

const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") {
    return rawJSON === undefined ? value.toString() : rawJSON(value.toString());
  }
  if (value instanceof Error) return safeMessage(value);
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/** JSON text of an object, or undefined when it has none (cycles, throwing getters). */
function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, jsonReplacer) ?? undefined;
  } catch {
    return undefined;
  }
}

function safeMessage(err: Error): string {
  try {
    return String(err.message);
  } catch {
    return inspect(err);
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return inspect(value);
  }
}

function inspect(value: unknown): string {
  try {
    return Deno.inspect(value, { compact: true, breakLength: Infinity, depth: 4, colors: false });
  } catch {
    return "(unprintable value)";
  }
}
