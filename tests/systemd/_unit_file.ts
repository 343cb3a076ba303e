/**
 * Reads the shipped systemd files: the unit as section → key → values, the environment file
 * as its commented-out `#KEY=value` lines.
 *
 * @module
 */
import { REPO_ROOT } from "../_helpers/server_process.ts";

/** The unit file in the repository. */
export const UNIT_PATH = `${REPO_ROOT}deploy/systemd/device-api-server.service`;
/** The EnvironmentFile example in the repository. */
export const ENV_PATH = `${REPO_ROOT}deploy/systemd/device-api-server.env`;

/** A parsed unit: every assignment of a key, in order (systemd keys may repeat). */
export type Unit = Map<string, Map<string, string[]>>;

/** Parses unit-file syntax (comments, sections, `Key=value`; no line continuations). */
export function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = unit.get(header[1]!) ?? new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf("=");
    if (section === undefined || eq <= 0) throw new SyntaxError(`Cannot parse unit line: ${raw}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

/** The last value of a key (what systemd uses for single-valued settings). */
export function lastValue(unit: Unit, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/** `NAME=value` pairs of every `Environment=` line of [Service] (no quoting used in ours). */
export function unitEnvironment(unit: Unit): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of unit.get("Service")?.get("Environment") ?? []) {
    for (const word of line.split(/\s+/)) {
      const eq = word.indexOf("=");
      if (eq > 0) env.set(word.slice(0, eq), word.slice(eq + 1));
    }
  }
  return env;
}

/** Converts a systemd time span such as `45s`, `1min 30s` or `2m` to seconds. */
export function timeSpanSeconds(value: string): number {
  const units: Record<string, number> = { "": 1, s: 1, sec: 1, m: 60, min: 60, h: 3600, ms: 0.001 };
  let total = 0;
  for (const part of value.trim().split(/\s+/)) {
    const match = /^([0-9.]+)([a-z]*)$/.exec(part);
    const factor = match ? units[match[2]!] : undefined;
    if (!match || factor === undefined) throw new SyntaxError(`Cannot parse time span: ${value}`);
    total += Number(match[1]) * factor;
  }
  return total;
}
