/**
 * Parsed label-selector requirements and their evaluation. A selector is
 * evaluated for every watcher on every committed event, inside the write's
 * critical section, so evaluation is kept cheap: requirements are compiled
 * once (set membership is a hash lookup, integer bounds are parsed ahead),
 * the first failing requirement ends the check, and a matcher remembers its
 * answers for the last two frozen label sets, so the watchers that share a
 * selector (the parser hands out one matcher per selector string) evaluate it
 * once per event, not once each.
 *
 * @module
 */

/** One parsed requirement of a selector. */
export type Requirement =
  | { key: string; op: "exists" | "!" }
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: ReadonlySet<string> }
  | { key: string; op: ">" | "<"; bound: bigint };

/** A label map, read only (an object's labels, shared by its watch events). */
export type Labels = Readonly<Record<string, string>>;

/** Whether one requirement holds, with apimachinery's `Requirement.Matches` semantics. */
export function requirementMatches(r: Requirement, labels: Labels): boolean {
  // Own keys only: `in` would find "toString" on every object.
  const has = Object.hasOwn(labels, r.key);
  switch (r.op) {
    case "exists":
      return has;
    case "!":
      return !has;
    case "=":
      return has && labels[r.key] === r.value;
    case "!=":
      return !has || labels[r.key] !== r.value;
    case "in":
      return has && r.values.has(labels[r.key]!);
    case "notin":
      return !has || !r.values.has(labels[r.key]!);
    case ">":
    case "<": {
      if (!has) return false;
      const n = parseLabelInt(labels[r.key]!);
      if (n === null) return false;
      return r.op === ">" ? n > r.bound : n < r.bound;
    }
  }
}

/** A matcher that holds when every requirement does. */
export function compileRequirements(
  requirements: readonly Requirement[],
): (labels: Labels) => boolean {
  // Two entries: an event offers its labels and, for MODIFIED, the previous ones.
  let memoA: Labels | null = null;
  let resultA = false;
  let memoB: Labels | null = null;
  let resultB = false;
  const evaluate = (labels: Labels): boolean => {
    for (let i = 0; i < requirements.length; i++) {
      if (!requirementMatches(requirements[i]!, labels)) return false;
    }
    return true;
  };
  return (labels) => {
    // Only frozen label sets (the store's) can be remembered by identity.
    if (!Object.isFrozen(labels)) return evaluate(labels);
    if (labels === memoA) return resultA;
    if (labels === memoB) return resultB;
    const result = evaluate(labels);
    memoB = memoA;
    resultB = resultA;
    memoA = labels;
    resultA = result;
    return result;
  };
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -INT64_MAX - 1n;

/** A decimal integer in int64 range, as Go's strconv.ParseInt(s, 10, 64) reads it, or null. */
export function parseLabelInt(text: string): bigint | null {
  const signed = text[0] === "-" || text[0] === "+";
  const digits = text.length - (signed ? 1 : 0);
  // 19 digits hold every int64; leading zeros aside, more cannot fit.
  if (digits === 0 || digits > 64) return null;
  for (let i = signed ? 1 : 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const n = BigInt(text);
  return n > INT64_MAX || n < INT64_MIN ? null : n;
}
