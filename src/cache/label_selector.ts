/**
 * Kubernetes label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x,y)`, `a` (exists) and `!a` (does not exist), joined by commas.
 *
 * @example Usage
 * ```ts
 * import { parseLabelSelector } from "./label_selector.ts";
 * const matches = parseLabelSelector("zone=a,!drained");
 * matches({ zone: "a" }); // true
 * ```
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";

/** A compiled selector; true when the labels match every requirement. */
export type LabelMatcher = (labels: Readonly<Record<string, string>>) => boolean;

const KEY = String.raw`[A-Za-z0-9][A-Za-z0-9._/-]*`;
const VALUE = String.raw`[A-Za-z0-9._-]*`;
const SET_RE = new RegExp(
  String.raw`^(${KEY})\s+(in|notin)\s+\(\s*(${VALUE}(?:\s*,\s*${VALUE})*)\s*\)$`,
);
const EQ_RE = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const EXISTS_RE = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

/** Matches every label set; the selector of an empty string. */
export const MATCH_ALL: LabelMatcher = () => true;

/**
 * Compiles a selector string.
 *
 * @param selector the selector; empty matches everything
 * @param field the request field named in errors
 * @throws {InvalidArgumentError} when the selector does not parse
 */
export function parseLabelSelector(selector: string, field = "opts.label_selector"): LabelMatcher {
  if (selector.trim() === "") return MATCH_ALL;
  if (selector.length > 4096) {
    throw new InvalidArgumentError(field, `selector too long: ${selector.length} characters`);
  }
  const requirements = splitRequirements(selector).map((part) => requirement(part.trim(), field));
  return (labels) => requirements.every((r) => r(labels));
}

// Splits on commas outside parentheses.
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}

function requirement(part: string, field: string): LabelMatcher {
  let m = SET_RE.exec(part);
  if (m) {
    const key = m[1]!;
    const values = new Set(m[3]!.split(",").map((v) => v.trim()));
    return m[2] === "in"
      ? (l) => Object.hasOwn(l, key) && values.has(l[key]!)
      : (l) => !Object.hasOwn(l, key) || !values.has(l[key]!);
  }
  m = EQ_RE.exec(part);
  if (m) {
    const key = m[1]!;
    const value = m[3]!;
    return m[2] === "!=" ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  m = EXISTS_RE.exec(part);
  if (m) {
    const key = m[2]!;
    // Own keys only: `in` would find "toString" on every object.
    return m[1] ? (l) => !Object.hasOwn(l, key) : (l) => Object.hasOwn(l, key);
  }
  throw new InvalidArgumentError(
    field,
    `cannot parse requirement ${JSON.stringify(part.slice(0, 64))}`,
  );
}
