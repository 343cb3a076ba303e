/**
 * The data of one log line, independent of its output format.
 *
 * @module
 */

/** klog severities; the text header writes their first letter (I, W, E, F). */
export type Severity = "info" | "warning" | "error" | "fatal";

/** Everything a formatter needs, so formatting stays pure and testable with exact strings. */
export interface LogRecord {
  /** Severity of the line. */
  readonly severity: Severity;
  /** When the line was logged; the text header shows it in local time. */
  readonly time: Date;
  /** Process id for the text header. */
  readonly pid: number;
  /** Call site as `file.ts:123` (basename only). */
  readonly caller: string;
  /** Verbosity level of an info line (JSON `"v"`); ignored for other severities. */
  readonly level: number;
  /** Logger name (`a/b`), or "" when the logger has none. */
  readonly name: string;
  /** The message. */
  readonly msg: string;
  /** Error of an error line; null or undefined writes no `err`. */
  readonly err?: unknown;
  /** Key/value list carried by the logger (withValues). */
  readonly values: readonly unknown[];
  /** Key/value list of this call; a key repeated from `values` overrides it. */
  readonly kv: readonly unknown[];
}
