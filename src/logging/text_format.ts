/**
 * klog text format: `Lmmdd hh:mm:ss.uuuuuu PID file:line] "msg" key=value …`.
 *
 * @module
 */

import { quoteGo } from "./quote.ts";
import type { LogRecord, Severity } from "./record.ts";
import { errorText, mergePairs, normalize, truncate } from "./_values.ts";

const SEVERITY_LETTER: Readonly<Record<Severity, string>> = {
  info: "I",
  warning: "W",
  error: "E",
  fatal: "F",
};

/**
 * Formats one record as a klog text line (no trailing newline), so operators' klog tooling
 * parses our output.
 *
 * After the quoted message come `logger="a/b"` (named loggers), `err="…"` (error lines),
 * then the logger's values and the call's key/values. Strings are Go-quoted; numbers,
 * bigints and booleans bare; null/undefined `<nil>`; Errors their message; other objects
 * their JSON, quoted. A string holding a newline is written klog's multi-line way:
 * `key=<`, each line tab-indented, then ` >` on its own line. Every string is first cut to
 * 4096 characters (see MAX_VALUE_LENGTH).
 *
 * @param record The line to format.
 * @returns The text line.
 *
 * @example Usage
 * ```ts
 * import { formatTextLine } from "./text_format.ts";
 * import assert from "node:assert/strict";
 *
 * const line = formatTextLine({
 *   severity: "info", time: new Date(2024, 0, 21, 15, 4, 5, 123), pid: 12345,
 *   caller: "server.go:123", level: 0, name: "", msg: "GPU updated", values: [],
 *   kv: ["gpu", "gpu-0", "resourceVersion", 42],
 * });
 * assert.equal(
 *   line,
 *   'I0121 15:04:05.123000   12345 server.go:123] "GPU updated" gpu="gpu-0" resourceVersion=42',
 * );
 * ```
 */
export function formatTextLine(record: LogRecord): string {
  let line = header(record) + quoteGo(truncate(record.msg));
  if (record.name !== "") line += " logger" + stringValue(truncate(record.name));
  if (record.err !== undefined && record.err !== null) {
    line += " err" + stringValue(errorText(record.err));
  }
  for (const [key, value] of mergePairs(record.values, record.kv)) {
    line += " " + key + textValue(value);
  }
  return line;
}

function header(record: LogRecord): string {
  const t = record.time;
  const date = pad2(t.getMonth() + 1) + pad2(t.getDate());
  const clock = `${pad2(t.getHours())}:${pad2(t.getMinutes())}:${pad2(t.getSeconds())}`;
  // Date has millisecond resolution; klog prints microseconds.
  const micros = String(t.getMilliseconds()).padStart(3, "0") + "000";
  const pid = String(record.pid).padStart(7, " ");
  return `${SEVERITY_LETTER[record.severity]}${date} ${clock}.${micros} ${pid} ${record.caller}] `;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** `=value` for one value, including the leading `=`. */
function textValue(value: unknown): string {
  const n = normalize(value);
  switch (n.kind) {
    case "string":
      return stringValue(n.value);
    case "bare":
      return "=" + n.text;
    case "nil":
      return "=<nil>";
    case "json":
      return "=" + quoteGo(n.json);
  }
}

/** klog's writeStringValue: quoted when single-line, else the `=<` block of raw lines. */
function stringValue(s: string): string {
  if (!s.includes("\n")) return "=" + quoteGo(s);
  const lines = s.split("\n");
  // A trailing newline ends the last line; klog does not add an empty one for it.
  if (lines[lines.length - 1] === "") lines.pop();
  return "=<\n" + lines.map((l) => "\t" + l + "\n").join("") + " >";
}
