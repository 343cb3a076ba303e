/** Builders for the rows of the flag table; each knows how to parse and store one kind of value. */

import type { Config, MutableConfig } from "./config.ts";
import { parseBindHost } from "./_net.ts";
import {
  checkSocketPath,
  parseBool,
  parseDurationMs,
  parseIntIn,
  parseMode,
  resolvePath,
  ValueError,
} from "./_values.ts";

/** Kind of value a flag takes; --help shows path, host and address as "string", bool as nothing. */
export type FlagType =
  | "bool"
  | "int"
  | "string"
  | "path"
  | "duration"
  | "mode"
  | "list"
  | "host"
  | "address";

/** What a flag's parser may ask of the outside world. */
export interface ApplyContext {
  /** Directory relative paths resolve against; throws ValueError when unknown. */
  cwd(): string;
}

/** One row of the flag table: the single source for parsing, env lookup, --help and docs. */
export interface FlagDefinition {
  /** Long name without dashes, e.g. "grpc-address". */
  readonly name: string;
  /** One-letter alias shown as -x in help, if any. */
  readonly short?: string;
  /** Environment variable, DEVICE_API_ plus the name in upper snake case. */
  readonly env: string;
  readonly type: FlagType;
  /** Default as a user would write it. */
  readonly default: string;
  readonly help: string;
  /** Validates raw and returns the config fields it sets; throws ValueError with the reason. */
  apply(raw: string, context: ApplyContext): Partial<MutableConfig>;
}

type KeysOf<T> = { [K in keyof Config]: Config[K] extends T ? K : never }[keyof Config];

interface Common {
  readonly name: string;
  readonly short?: string;
  readonly help: string;
}

/** Maps a flag name to its environment variable: grpc-address becomes DEVICE_API_GRPC_ADDRESS. */
export function envName(flag: string): string {
  return `DEVICE_API_${flag.toUpperCase().replaceAll("-", "_")}`;
}

function patch<K extends keyof Config>(key: K, value: Config[K]): Partial<MutableConfig> {
  const out: Partial<MutableConfig> = {};
  out[key] = value;
  return out;
}

/** Defines a flag whose parser is written out in the table. */
export function customFlag(
  spec: Common & {
    readonly type: FlagType;
    readonly default: string;
    apply(raw: string, context: ApplyContext): Partial<MutableConfig>;
  },
): FlagDefinition {
  return { ...spec, env: envName(spec.name) };
}

/** Defines a boolean flag (`--x`, `--x=true`, `--x=false`). */
export function boolFlag(
  spec: Common & { readonly key: KeysOf<boolean>; readonly default: boolean },
): FlagDefinition {
  return customFlag({
    ...spec,
    type: "bool",
    default: String(spec.default),
    apply: (raw) => patch(spec.key, parseBool(raw)),
  });
}

/** Defines an integer flag limited to [min, max]. */
export function intFlag(
  spec: Common & {
    readonly key: KeysOf<number>;
    readonly default: number;
    readonly min: number;
    readonly max: number;
  },
): FlagDefinition {
  return customFlag({
    ...spec,
    type: "int",
    default: String(spec.default),
    apply: (raw) => patch(spec.key, parseIntIn(raw, spec.min, spec.max)),
  });
}

/** Longest duration any flag accepts; Node timers overflow past 2^31-1 ms. */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** Defines a Go-style duration flag stored in milliseconds. */
export function durationFlag(
  spec: Common & { readonly key: KeysOf<number>; readonly default: string },
): FlagDefinition {
  return customFlag({
    ...spec,
    type: "duration",
    apply: (raw) => patch(spec.key, parseDurationMs(raw, MAX_DURATION_MS)),
  });
}

/** Defines an octal file-mode flag such as 0660. */
export function modeFlag(
  spec: Common & { readonly key: KeysOf<number>; readonly default: string },
): FlagDefinition {
  return customFlag({ ...spec, type: "mode", apply: (raw) => patch(spec.key, parseMode(raw)) });
}

/** Defines a path flag; relative paths resolve against the working directory, "" may mean off. */
export function pathFlag(
  spec: Common & {
    readonly key: KeysOf<string>;
    readonly default: string;
    readonly allowEmpty: boolean;
    readonly socket?: boolean;
  },
): FlagDefinition {
  return customFlag({
    ...spec,
    type: "path",
    apply: (raw, context) => {
      if (raw === "") {
        if (spec.allowEmpty) return patch(spec.key, "");
        throw new ValueError("must not be empty");
      }
      const path = resolvePath(raw, () => context.cwd());
      return patch(spec.key, spec.socket === true ? checkSocketPath(path) : path);
    },
  });
}

/** Defines a bind-host flag: an IP literal or localhost. */
export function hostFlag(
  spec: Common & { readonly key: KeysOf<string>; readonly default: string },
): FlagDefinition {
  return customFlag({ ...spec, type: "host", apply: (raw) => patch(spec.key, parseBindHost(raw)) });
}

/** Defines a free-text flag checked by check, which throws ValueError. */
export function stringFlag(
  spec: Common & {
    readonly key: KeysOf<string>;
    readonly default: string;
    check(raw: string): string;
  },
): FlagDefinition {
  return customFlag({ ...spec, type: "string", apply: (raw) => patch(spec.key, spec.check(raw)) });
}
