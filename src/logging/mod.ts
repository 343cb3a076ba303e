/**
 * klog-style structured logging: text lines (`I0121 15:04:05.123456 …] "msg" k=v`) or
 * klog JSON, with verbosity levels, named/contextual loggers and caller `file:line`.
 *
 * @module
 */

export { createLogger } from "./logger.ts";
export type { LogFormat, Logger, LoggerOptions, VerboseLogger } from "./logger.ts";
export { nopLogger } from "./nop_logger.ts";
export { stderrSink } from "./sink.ts";
export type { LogSink } from "./sink.ts";
export { formatTextLine } from "./text_format.ts";
export { formatJsonLine } from "./json_format.ts";
export { quoteGo } from "./quote.ts";
export type { LogRecord, Severity } from "./record.ts";
export { MAX_VALUE_LENGTH } from "./_values.ts";
