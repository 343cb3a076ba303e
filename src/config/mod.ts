/**
 * Server configuration: flags and DEVICE_API_* environment variables parsed into a validated
 * Config, a file-system preflight, and the --help text and docs generated from the flag table.
 *
 * @module
 */

export type { Config, LogFormat, ParseConfigResult } from "./config.ts";
export { ACTION_FLAGS, DEFAULT_CONFIG, FLAGS, serverFlag } from "./flags.ts";
export type { ActionFlag, FlagDefinition, FlagType } from "./flags.ts";
export { parseConfig } from "./parse_config.ts";
export type { ParseConfigOptions } from "./parse_config.ts";
export { preflightConfig } from "./preflight.ts";
export { flagsMarkdown, helpText, wrapWords } from "./help.ts";
export { readConfigEnv } from "./read_env.ts";
export { SCAN_FLAGS } from "./parse_config.ts";
export { ArgError, invalidValue, scanArgs } from "./_args.ts";
export type { ArgErrorKind, ScanArgsOptions, ScanFlag, ScannedArgs } from "./_args.ts";
export { formatHostPort, isLoopback, LOCALHOST_ADDRESSES, parseHostPort } from "./_net.ts";
export type { HostPort } from "./_net.ts";
export { formatDurationMs, parseBool, parseDurationMs, ValueError } from "./_values.ts";
