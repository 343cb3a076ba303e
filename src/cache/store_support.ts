/**
 * Pure helpers of the store's write paths: condition settling and merging,
 * key ordering, canonical comparison and deep freezing. No state, no I/O.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Condition, DeepPartial, Timestamp } from "../api/mod.ts";
import { InvalidArgumentError } from "./errors.ts";
import { normalizeCondition, validateConditionType } from "./validation.ts";

/**
 * Keeps lastTransitionTime for conditions whose status did not change and
 * the owner of conditions whose content did not change; others get `now`
 * (unless the writer gave a time) and the writing provider.
 */
export function settleConditions(
  next: Condition[],
  previous: readonly Condition[],
  provider: string,
  now: Timestamp,
): Condition[] {
  return next.map((c) => {
    const old = previous.find((p) => p.type === c.type);
    const statusSame = old?.status === c.status;
    const contentSame = statusSame && old.reason === c.reason && old.message === c.message &&
      old.observedGeneration === c.observedGeneration;
    return {
      ...c,
      lastTransitionTime: statusSame ? old.lastTransitionTime : (c.lastTransitionTime ?? now),
      owner: contentSame ? old.owner : provider,
    };
  });
}

/** A validated condition patch: conditions to set and types to remove, disjoint. */
export interface NormalizedPatch {
  set: Condition[];
  remove: Set<string>;
}

/** Validates the set/remove lists of a condition patch before the lock is taken. */
export function normalizeConditionPatch(
  set: DeepPartial<Condition>[],
  remove: string[],
  maxConditions: number,
): NormalizedPatch {
  const normalized = set.map((c, i) => normalizeCondition(`set[${i}]`, c));
  const types = new Set(normalized.map((c) => c.type));
  if (types.size !== normalized.length) {
    throw new InvalidArgumentError("set", "duplicate condition type");
  }
  if (remove.length > maxConditions) {
    throw new InvalidArgumentError(
      "remove",
      `too many types to remove: ${remove.length}, the limit is ${maxConditions}`,
    );
  }
  for (const [i, type] of remove.entries()) {
    validateConditionType(`remove[${i}]`, type);
    if (types.has(type)) {
      throw new InvalidArgumentError(
        `remove[${i}]`,
        `condition ${JSON.stringify(type)} is also set`,
      );
    }
  }
  return { set: normalized, remove: new Set(remove) };
}

/**
 * Applies a patch to the current conditions: removed ones go, set ones replace
 * theirs in place or are appended, in order.
 *
 * @throws {InvalidArgumentError} when the result has more than `maxConditions`
 */
export function mergeConditions(
  current: readonly Condition[],
  patch: NormalizedPatch,
  maxConditions: number,
): Condition[] {
  const merged = current.filter((c) => !patch.remove.has(c.type)).map((c) =>
    patch.set.find((s) => s.type === c.type) ?? c
  );
  for (const c of patch.set) if (!current.some((o) => o.type === c.type)) merged.push(c);
  if (merged.length > maxConditions) {
    throw new InvalidArgumentError(
      "set",
      `too many conditions: the GPU would have ${merged.length}, the limit is ${maxConditions}`,
    );
  }
  return merged;
}

/**
 * Orders "namespace/name" keys by (namespace, name): a plain string sort
 * would put "a-b/x" before "a/x", since '-' sorts before '/'.
 */
export function byNamespaceThenName(a: string, b: string): number {
  const [an, bn] = [a.slice(0, a.indexOf("/")), b.slice(0, b.indexOf("/"))];
  if (an !== bn) return an < bn ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether two normalized values (plain objects, arrays, strings, numbers,
 * booleans and null) are equal, structurally. Every write compares its
 * result with the stored object this way; walking the two graphs allocates
 * nothing, where serializing both to JSON built two strings per write.
 *
 * @example
 * ```ts
 * import { same } from "./store_support.ts";
 * same({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] }); // true
 * same({ a: 1 }, { a: 1, b: 2 }); // false
 * ```
 */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (!Object.hasOwn(x, key)) continue;
    if (!Object.hasOwn(y, key) || !same(x[key], y[key])) return false;
    keys++;
  }
  for (const key in y) if (Object.hasOwn(y, key)) keys--;
  return keys === 0;
}

/** Freezes an object graph in place (Buffers excepted: they cannot be frozen). */
export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === "object" && !Object.isFrozen(value) && !Buffer.isBuffer(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
