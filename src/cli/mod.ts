/**
 * The operator CLI: `device-api-server get gpus`, `describe`, `watch`, `create`, `set
 * condition`, `clear condition` and `delete`, kubectl-style, against a running server. The
 * formatting helpers are pure and reusable.
 *
 * @module
 */

export { EXIT_USAGE, runCli } from "./run_cli.ts";
export type { RunCliOptions } from "./run_cli.ts";
export { CLI_VERBS, isCliCommand } from "./cli_flags.ts";
export type { Verb } from "./cli_flags.ts";
export type { CliIo } from "./output.ts";
export {
  ageOf,
  conditionsSummary,
  gpuTable,
  humanDuration,
  readyOf,
  renderTable,
} from "./format.ts";
export type { ConditionStatus, GpuTableOptions, RenderTableOptions } from "./format.ts";
export { describeGpu } from "./describe.ts";
