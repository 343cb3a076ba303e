/**
 * Pure checks of the CLI's flag values: output format, namespace scope, labels and index.
 * Each throws a UsageError naming the flag.
 *
 * @module
 */
import { parseBool, ValueError } from "../config/mod.ts";
import type { Verb } from "./cli_flags.ts";
import { VERB_OUTPUTS } from "./cli_flags.ts";
import { UsageError } from "./errors.ts";
import { compileOutput } from "./printers.ts";

/** Flag values as the shared scanner returns them: every value given, in order. */
export type FlagValues = ReadonlyMap<string, readonly string[]>;

/** Which GPUs a read covers: a namespace ("" for every one) and a label selector. */
export interface Scope {
  readonly namespace: string;
  readonly allNamespaces: boolean;
  readonly selector: string;
}

/** A string flag's value; undefined when absent. */
export function text(values: FlagValues, name: string): string | undefined {
  return values.get(name)?.at(-1);
}

/** A boolean flag: absent is false, `--x` true, `--x=false` false. */
export function flagOn(values: FlagValues, name: string): boolean {
  const raw = text(values, name);
  try {
    return raw !== undefined && parseBool(raw);
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    throw invalid(name, raw ?? "", err.message);
  }
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
  const eq = raw.indexOf("=");
  const format = eq < 0 ? raw : `${raw.slice(0, eq)}=`;
  const choice = allowed.slice(1).find((o) => o === raw || o.startsWith(format) && eq > 0);
  if (choice === undefined) {
    throw invalid("output", raw, `must be one of ${allowed.slice(1).join(", ")}`);
  }
  if (eq > 0) {
    try {
      compileOutput(raw);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      throw invalid("output", raw, err.message);
    }
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
  const allNamespaces = flagOn(values, "all-namespaces");
  if (allNamespaces && text(values, "namespace") !== undefined) {
    throw new UsageError("--namespace and --all-namespaces cannot be used together");
  }
  return {
    namespace: allNamespaces ? "" : namespaceOf(values),
    allNamespaces,
    selector: text(values, "selector") ?? "",
  };
}

/** The --label KEY=VALUE flags as a map; a key given twice is a mistake. */
export function labelsOf(values: FlagValues): Record<string, string> {
  const labels = new Map<string, string>();
  for (const item of values.get("label") ?? []) {
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
