/**
 * The klog-style logger: verbosity gating, named and contextual loggers, caller lookup.
 *
 * @module
 */

import { captureCaller } from "./_caller.ts";
import { formatJsonLine } from "./json_format.ts";
import type { LogRecord, Severity } from "./record.ts";
import { type LogSink, stderrSink } from "./sink.ts";
import { formatTextLine } from "./text_format.ts";
import { MISSING_VALUE } from "./_values.ts";

/** Output formats, as klog's `--logging-format` names them. */
export type LogFormat = "text" | "json";

/** Info logging at one verbosity level (`logger.V(2)`), like logr's V-logger. */
export interface VerboseLogger {
  /** Logs at this level when the logger's verbosity reaches it. */
  info(msg: string, ...kv: unknown[]): void;
  /** Whether info lines at this level print: guard costly key/values with it. */
  readonly enabled: boolean;
}

/** The structured logger every component takes, so components never care about the format. */
export interface Logger {
  /** Logs at verbosity 0: always printed. */
  info(msg: string, ...kv: unknown[]): void;
  /** Logs a W line: always printed. */
  warning(msg: string, ...kv: unknown[]): void;
  /** Logs an E line with `err` first: always printed; a null/undefined err is left out. */
  error(err: unknown, msg: string, ...kv: unknown[]): void;
  /** Info logging that prints only when verbosity >= level. */
  V(level: number): VerboseLogger;
  /** Whether V(level) lines print. */
  enabled(level: number): boolean;
  /** A logger whose lines carry `logger="<parent>/<name>"`. */
  withName(name: string): Logger;
  /** A logger whose lines all carry these key/values, before each call's own. */
  withValues(...kv: unknown[]): Logger;
}

/** Options of createLogger; sink, now and pid are injectable so tests compare exact lines. */
export interface LoggerOptions {
  /** `text` (klog header lines) or `json`. */
  format: LogFormat;
  /** klog's `-v`: V(n) lines print when n <= verbosity. */
  verbosity: number;
  /** Receives each line without newline; defaults to stderrSink. */
  sink?: LogSink;
  /** Clock; defaults to the current time. */
  now?: () => Date;
  /** Process id for the text header; defaults to Deno.pid. */
  pid?: number;
}

/**
 * Creates a klog-style logger writing text or JSON lines, the one logger the server uses.
 *
 * The caller's `file:line` is read from the JS stack (first frame outside src/logging), and
 * only for lines that are actually written. String values are cut to 4096 characters.
 *
 * @param options Format, verbosity and the injectable sink, clock and pid.
 * @returns The root logger (no name, no values).
 * @throws {RangeError} When the format is unknown or verbosity/pid is not a non-negative integer.
 *
 * @example Usage
 * ```ts
 * import { createLogger } from "./logger.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const logger = createLogger({ format: "json", verbosity: 1, sink: (l) => lines.push(l) });
 * logger.V(1).info("shown");
 * logger.V(2).info("hidden");
 * assert.equal(lines.length, 1);
 * assert.equal(logger.enabled(2), false);
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  const { format, verbosity, sink = stderrSink, now = () => new Date(), pid = Deno.pid } = options;
  if (format !== "text" && format !== "json") {
    throw new RangeError(
      `Cannot create logger: format must be "text" or "json", received ${format}`,
    );
  }
  if (!Number.isInteger(verbosity) || verbosity < 0) {
    throw new RangeError(
      `Cannot create logger: verbosity must be a non-negative integer, received ${verbosity}`,
    );
  }
  if (!Number.isInteger(pid) || pid < 0) {
    throw new RangeError(
      `Cannot create logger: pid must be a non-negative integer, received ${pid}`,
    );
  }
  const formatLine = format === "text" ? formatTextLine : formatJsonLine;
  return new KlogLogger({ formatLine, verbosity, sink, now, pid }, "", []);
}

/** Settings shared by a root logger and every logger derived from it. */
interface Core {
  readonly formatLine: (record: LogRecord) => string;
  readonly verbosity: number;
  readonly sink: LogSink;
  readonly now: () => Date;
  readonly pid: number;
}

const DISABLED: VerboseLogger = Object.freeze({ info() {}, enabled: false });

class KlogLogger implements Logger {
  readonly #core: Core;
  /** Names joined with `/`; "" for the root logger. */
  readonly #name: string;
  /** Even-length key/value list (an odd one was padded with "(MISSING)"). */
  readonly #values: readonly unknown[];

  constructor(core: Core, name: string, values: readonly unknown[]) {
    this.#core = core;
    this.#name = name;
    this.#values = values;
  }

  info(msg: string, ...kv: unknown[]): void {
    this.#emit("info", 0, undefined, msg, kv);
  }

  warning(msg: string, ...kv: unknown[]): void {
    this.#emit("warning", 0, undefined, msg, kv);
  }

  error(err: unknown, msg: string, ...kv: unknown[]): void {
    this.#emit("error", 0, err, msg, kv);
  }

  V(level: number): VerboseLogger {
    if (!this.enabled(level)) return DISABLED;
    return {
      info: (msg: string, ...kv: unknown[]) => this.#emit("info", level, undefined, msg, kv),
      enabled: true,
    };
  }

  enabled(level: number): boolean {
    return level <= this.#core.verbosity;
  }

  withName(name: string): Logger {
    if (name === "") return this;
    const joined = this.#name === "" ? name : `${this.#name}/${name}`;
    return new KlogLogger(this.#core, joined, this.#values);
  }

  withValues(...kv: unknown[]): Logger {
    if (kv.length === 0) return this;
    const padded = kv.length % 2 === 0 ? kv : [...kv, MISSING_VALUE];
    return new KlogLogger(this.#core, this.#name, [...this.#values, ...padded]);
  }

  #emit(severity: Severity, level: number, err: unknown, msg: string, kv: unknown[]): void {
    const core = this.#core;
    core.sink(core.formatLine({
      severity,
      time: core.now(),
      pid: core.pid,
      caller: captureCaller(),
      level,
      name: this.#name,
      msg,
      err,
      values: this.#values,
      kv,
    }));
  }
}
