/**
 * A logger that writes nothing.
 *
 * @module
 */

import type { Logger, VerboseLogger } from "./logger.ts";

const NOP_VERBOSE: VerboseLogger = Object.freeze({ info() {}, enabled: false });

/** A Logger that drops everything and reports every level disabled, for tests and defaults. */
export const nopLogger: Logger = Object.freeze({
  info() {},
  warning() {},
  error() {},
  V: () => NOP_VERBOSE,
  enabled: () => false,
  withName: () => nopLogger,
  withValues: () => nopLogger,
});
