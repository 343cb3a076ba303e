/**
 * Runs the server: components from the configuration (`components.ts`),
 * started and stopped in order by one owner (`lifecycle.ts`), stopped by
 * SIGTERM or SIGINT (a later signal forces the stop).
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import type { Logger } from "../logging/mod.ts";
import { onShutdownSignals } from "../server/mod.ts";
import { createComponents } from "./components.ts";
import { ServerLifecycle } from "./lifecycle.ts";

/**
 * Runs the server until SIGTERM or SIGINT.
 *
 * @param config the validated configuration
 * @param log the root logger
 * @returns the exit status: 0 after a graceful stop, 1 after a forced one or a failed start
 */
export async function serve(config: Config, log: Logger): Promise<number> {
  const lifecycle = new ServerLifecycle(createComponents(config, log));
  // Before anything starts, so that a signal during startup ends in an orderly stop.
  const removeSignals = onShutdownSignals({
    graceful: (signal) => lifecycle.stop(signal),
    force: (signal) => lifecycle.forceStop(signal),
  });
  try {
    return await lifecycle.run();
  } finally {
    removeSignals();
  }
}
