/**
 * klog JSON format (`--logging-format=json`): `{"ts":…,"caller":…,"msg":…,"v":0,…}`.
 *
 * @module
 */

import type { LogRecord } from "./record.ts";
import { errorText, mergePairs, normalize, truncate } from "./_values.ts";

/**
 * Formats one record as a klog/zap JSON line (no trailing newline), for log pipelines that
 * parse Kubernetes JSON logs.
 *
 * Field order: `ts` (Unix epoch in milliseconds), `logger` (named loggers, where zap puts
 * it), `caller`, `msg`, then `"v":<level>` on info lines or `"err"` on error lines (which
 * carry no `v`), then the logger's values and the call's key/values. klog JSON has no
 * warning level, so warning lines are `"v":0` lines that also carry `"level":"warning"`
 * (fatal lines likewise carry `"level":"fatal"`). Values are JSON: bigints as numbers,
 * Errors as their message, NaN/±Inf as strings like zap. Every string is first cut to 4096
 * characters (see MAX_VALUE_LENGTH), and an object whose JSON is longer becomes a cut string.
 *
 * @param record The line to format.
 * @returns The JSON line.
 *
 * @example Usage
 * ```ts
 * import { formatJsonLine } from "./json_format.ts";
 * import assert from "node:assert/strict";
 *
 * const line = formatJsonLine({
 *   severity: "info", time: new Date(1705849445123), pid: 1, caller: "server.ts:12",
 *   level: 2, name: "", msg: "GPU updated", values: [], kv: ["gpu", "gpu-0"],
 * });
 * assert.equal(
 *   line,
 *   '{"ts":1705849445123,"caller":"server.ts:12","msg":"GPU updated","v":2,"gpu":"gpu-0"}',
 * );
 * ```
 */
export function formatJsonLine(record: LogRecord): string {
  let line = `{"ts":${timestamp(record.time)}`;
  if (record.name !== "") line += `,"logger":${JSON.stringify(truncate(record.name))}`;
  line += `,"caller":${JSON.stringify(record.caller)},"msg":${
    JSON.stringify(truncate(record.msg))
  }`;
  switch (record.severity) {
    case "info":
      line += `,"v":${jsonNumber(record.level)}`;
      break;
    case "warning":
      line += `,"v":0,"level":"warning"`;
      break;
    case "fatal":
      line += `,"level":"fatal"`;
      break;
  }
  if (record.err !== undefined && record.err !== null) {
    line += `,"err":${JSON.stringify(errorText(record.err))}`;
  }
  for (const [key, value] of mergePairs(record.values, record.kv)) {
    line += `,${JSON.stringify(key)}:${jsonValue(value)}`;
  }
  return line + "}";
}

/** Epoch milliseconds, kept to microsecond precision (Date itself has whole milliseconds). */
function timestamp(time: Date): string {
  return jsonNumber(Math.round(time.getTime() * 1000) / 1000);
}

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

function jsonValue(value: unknown): string {
  const n = normalize(value);
  switch (n.kind) {
    case "string":
      return JSON.stringify(n.value);
    case "bare":
      return n.json;
    case "nil":
      return "null";
    case "json":
      return n.json;
  }
}
