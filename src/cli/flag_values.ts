/**
 * Pure checks of the CLI's flag values: output format, namespace scope, labels and index.
 * Each throws a UsageError naming the flag.
 *
 * @module
 */
import type { Verb } from "./cli_flags.ts";
import { VERB_OUTPUTS } from "./cli_flags.ts";
import { UsageError } from "./errors.ts";

/** Flag values as node:util parseArgs returns them. */
export type FlagValues = Readonly<
  Record<string, string | boolean | (string | boolean)[] | undefined>
>;

/** Which GPUs a read covers: a namespace ("" for every one) and a label selector. */
export interface Scope {
  readonly namespace: string;
  readonly allNamespaces: boolean;
  readonly selector: string;
}

/** A string flag's value; undefined when absent. */
export function text(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** The usage error of a malformed flag value. */
export function invalid(flag: string, raw: string, reason: string): UsageError {
  return new UsageError(`invalid value ${JSON.stringify(raw)} for flag --${flag}: ${reason}`);
}

/** Checks -o against the formats the verb prints; absent gives the verb's default. */
export function outputOf(verb: Verb, values: FlagValues): string {
  const allowed = VERB_OUTPUTS[verb];
  const raw = text(values, "output");
  if (raw === undefined) return allowed[0] ?? "";
  if (!allowed.slice(1).includes(raw)) {
    throw invalid("output", raw, `must be one of ${allowed.slice(1).join(", ")}`);
  }
  return raw;
}

/** -n, "default" when absent. */
export function namespaceOf(values: FlagValues): string {
  const namespace = text(values, "namespace") ?? "default";
  if (namespace === "") throw invalid("namespace", namespace, "must not be empty");
  return namespace;
}

/** The GPUs a read covers, from -n, -A and -l. */
export function scopeOf(values: FlagValues): Scope {
  const allNamespaces = values["all-namespaces"] === true;
  if (allNamespaces && text(values, "namespace") !== undefined) {
    throw new UsageError("--namespace and --all-namespaces cannot be used together");
  }
  return {
    namespace: allNamespaces ? "" : namespaceOf(values),
    allNamespaces,
    selector: text(values, "selector") ?? "",
  };
}

/** Refuses -n other than "default" where the API has no namespace (status update, delete). */
export function defaultNamespaceOnly(verb: Verb, values: FlagValues): void {
  if (namespaceOf(values) !== "default") {
    throw new UsageError(
      `${verb} works in namespace "default" only: the API's status update and delete take no ` +
        "namespace",
    );
  }
}

/** The --label KEY=VALUE flags as a map; a key given twice is a mistake. */
export function labelsOf(values: FlagValues): Record<string, string> {
  const raw = values.label;
  const labels = new Map<string, string>();
  for (const item of Array.isArray(raw) ? raw : []) {
    if (typeof item !== "string") continue;
    const eq = item.indexOf("=");
    if (eq <= 0) throw invalid("label", item, "must be KEY=VALUE");
    const key = item.slice(0, eq);
    if (labels.has(key)) throw invalid("label", item, `label ${JSON.stringify(key)} given twice`);
    labels.set(key, item.slice(eq + 1));
  }
  return Object.fromEntries(labels);
}

/** --index as a uint32, 0 when absent. */
export function indexOf(values: FlagValues): number {
  const raw = text(values, "index");
  if (raw === undefined) return 0;
  const index = Number(raw);
  if (!/^[0-9]+$/.test(raw) || index > 0xffff_ffff) {
    throw invalid("index", raw, "must be an integer between 0 and 4294967295");
  }
  return index;
}
