/**
 * Pure parsers for single flag values. Each returns the typed value or throws ValueError whose
 * message completes "invalid value "x" for flag --y: <message>".
 */

import { posix } from "node:path";

/** A flag or environment value that cannot be used; the message says what is expected. */
export class ValueError extends Error {
  /** @param reason what the value must look like, lower case */
  constructor(reason: string) {
    super(reason);
    this.name = "ValueError";
  }
}

const BOOLS: Readonly<Record<string, boolean>> = {
  "1": true,
  "t": true,
  "T": true,
  "true": true,
  "TRUE": true,
  "True": true,
  "0": false,
  "f": false,
  "F": false,
  "false": false,
  "FALSE": false,
  "False": false,
};

/** Parses a boolean the way Go's strconv.ParseBool does. */
export function parseBool(raw: string): boolean {
  const value = BOOLS[raw];
  if (value === undefined) throw new ValueError("must be true or false");
  return value;
}

/** Parses a decimal integer in [min, max]. */
export function parseIntIn(raw: string, min: number, max: number): number {
  const reason = `must be an integer between ${min} and ${max}`;
  if (!/^[+-]?[0-9]+$/.test(raw)) throw new ValueError(reason);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ValueError(reason);
  return value === 0 ? 0 : value; // no -0
}

/** Parses an octal file mode written as 0 and three octal digits, e.g. 0660. */
export function parseMode(raw: string): number {
  if (!/^0[0-7]{3}$/.test(raw)) throw new ValueError("must be an octal file mode such as 0660");
  return parseInt(raw, 8);
}

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  "μs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
const DURATION_PART =
  /([0-9]+)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)|\.([0-9]+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a non-negative Go duration (`500ms`, `30s`, `1m30s`, `1.5h`, `0`) into milliseconds. */
export function parseDurationMs(raw: string, maxMs: number): number {
  const reason = `must be a duration such as 500ms, 30s or 1m30s, between 0s and ${
    formatDurationMs(maxMs)
  }`;
  if (raw.startsWith("-")) throw new ValueError(reason);
  const text = raw.startsWith("+") ? raw.slice(1) : raw;
  if (text === "0") return 0;
  if (text === "") throw new ValueError(reason);
  let ns = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (m === null) throw new ValueError(reason);
    const whole = m[1] ?? "0";
    const frac = m[2] ?? m[4] ?? "";
    const unit = UNIT_NS[m[3] ?? m[5] ?? ""] ?? 0;
    ns += Number(whole) * unit + Math.round(Number(`0.${frac}0`) * unit);
  }
  const ms = ns / 1e6;
  if (!Number.isFinite(ms) || ms > maxMs) throw new ValueError(reason);
  return ms;
}

/** Writes milliseconds the way Go prints a duration: 0s, 500ms, 1m30s, 24h0m0s becomes 24h. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${s > 0 ? `${s}s` : ""}`;
}

/** Parses one of the allowed words. */
export function parseChoice<T extends string>(raw: string, choices: readonly T[]): T {
  const found = choices.find((c) => c === raw);
  if (found === undefined) throw new ValueError(`must be one of ${choices.join(", ")}`);
  return found;
}

/** Result of an XID list; `all` is only accepted where allowAll is set. */
export interface XidList {
  readonly all: boolean;
  readonly xids: readonly number[];
}

/** Parses a comma-separated XID list ("13, 31,48"), or "all" when allowAll; "" is empty. */
export function parseXidList(raw: string, allowAll: boolean): XidList {
  const text = raw.trim();
  if (text === "") return { all: false, xids: [] };
  if (allowAll && text.toLowerCase() === "all") return { all: true, xids: [] };
  const xids = new Set<number>();
  for (const part of text.split(",")) {
    const item = part.trim();
    if (!/^[0-9]+$/.test(item) || Number(item) < 1 || Number(item) > 2 ** 31 - 1) {
      throw new ValueError(
        `must be a comma-separated list of XIDs (positive integers)${
          allowAll ? ` or "all"` : ""
        }, such as 13,31`,
      );
    }
    xids.add(Number(item));
  }
  return { all: false, xids: [...xids].sort((a, b) => a - b) };
}

/** Turns a path into an absolute, normalised one; cwd is asked for only when needed. */
export function resolvePath(raw: string, cwd: () => string): string {
  if (raw.startsWith("unix:")) {
    throw new ValueError("must be a file path such as /var/run/device-api/device.sock, not a URI");
  }
  if (raw.includes("\0")) throw new ValueError("must not contain NUL characters");
  return posix.isAbsolute(raw) ? posix.resolve(raw) : posix.resolve(cwd(), raw);
}

/** Linux sun_path holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Checks a resolved socket path fits in a sockaddr_un. */
export function checkSocketPath(path: string): string {
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new ValueError(
      `socket path "${path}" is ${bytes} bytes long, the limit is ${MAX_SOCKET_PATH_BYTES}`,
    );
  }
  return path;
}

/** Accepts a free-form name for logs: at most 253 printable characters without spaces. */
export function parseNodeName(raw: string): string {
  // deno-lint-ignore no-control-regex
  if (raw.length > 253 || /[\s\x00-\x1f\x7f]/.test(raw)) {
    throw new ValueError("must be at most 253 characters without spaces or control characters");
  }
  return raw;
}
