/**
 * Reads the `# --` documentation of values.yaml (helm-docs convention): a
 * key with a `# --` comment is one documented value (its children are not
 * listed separately); a key without one must be a section whose children are
 * all documented.
 *
 * @module
 */

import { isMap, isScalar, type Pair, parseDocument, type YAMLMap } from "yaml";

/** One documented value: dotted key, JSON type, default and description. */
export interface DocumentedValue {
  key: string;
  type: string;
  default: unknown;
  description: string;
}

/** Lists documented values and the keys that lack a `# --` comment. */
export function documentedValues(
  valuesYaml: string,
): { values: DocumentedValue[]; undocumented: string[] } {
  const doc = parseDocument(valuesYaml);
  const values: DocumentedValue[] = [];
  const undocumented: string[] = [];
  const walk = (map: YAMLMap, prefix: string) => {
    map.items.forEach((pair: Pair, i: number) => {
      const key = prefix + (isScalar(pair.key) ? String(pair.key.value) : "?");
      const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ??
        (i === 0 ? map.commentBefore : undefined) ?? "";
      const doc = /(?:^|\n) ?-- ([\s\S]*)$/.exec(comment)?.[1];
      if (doc !== undefined) {
        const value = (pair.value as { toJSON(): unknown } | null)?.toJSON() ?? null;
        values.push({
          key,
          type: typeOf(value),
          default: value,
          description: doc.replace(/\n ?/g, " ").trim(),
        });
      } else if (isMap(pair.value)) {
        walk(pair.value, `${key}.`);
      } else {
        undocumented.push(key);
      }
    });
  };
  if (isMap(doc.contents)) walk(doc.contents, "");
  return { values, undocumented };
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (value === null) return "null";
  if (typeof value === "object") return "object";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return typeof value === "boolean" ? "bool" : "string";
}
