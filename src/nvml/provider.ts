/**
 * The built-in NVML health provider: finds and loads NVML, publishes every GPU, and keeps its
 * `NVMLReady` condition current. A node without NVML is not an error: the provider is just down.
 *
 * @module
 */

import { isAbsolute } from "node:path";
import { findNvmlLibrary, NVML_LIBRARY_DIRS, NVML_LIBRARY_NAME } from "./discovery.ts";
import { enumerateGpus } from "./_enumerate.ts";
import { HealthMonitor } from "./_health_monitor.ts";
import { NvmlLibrary } from "./_library.ts";
import type { NvmlLogger } from "./logger.ts";
import type { GpuStateWriter } from "./writer.ts";
import { createXidPolicy } from "./xid_policy.ts";

/** Default and upper bound of one NVML event wait, in milliseconds. */
export const MAX_WAIT_TIMEOUT_MS = 5000;

/** Options of {@linkcode startNvmlProvider}. */
export interface NvmlProviderOptions {
  /** Where GPUs and conditions are written. */
  writer: GpuStateWriter;
  logger: NvmlLogger;
  /** Absolute path of `libnvidia-ml.so.1`; skips the search under `driverRoot`. */
  libraryPath?: string;
  /** Root of the driver installation searched for the library (default `/`). */
  driverRoot?: string;
  /** XIDs ignored in addition to the defaults (13, 31, 43, 45, 68, 109). */
  ignoredXids?: readonly number[];
  /** Ignore every XID except `criticalXids`. */
  ignoreAllXids?: boolean;
  /** XIDs always treated as critical, even when ignored otherwise. */
  criticalXids?: readonly number[];
  /** Treat every XID as critical, the default ignore list included. */
  criticalAllXids?: boolean;
  /** Upper bound of one event wait (1..5000, default 5000); also the probe interval while a GPU is lost. */
  waitTimeoutMs?: number;
}

/** A started NVML provider. */
export interface NvmlProvider extends AsyncDisposable {
  /** Whether NVML is loaded and GPUs are monitored. */
  readonly up: boolean;
  /** Why the provider is down; "" when up. */
  readonly reason: string;
  /** Number of GPUs published. */
  readonly devices: number;
  /** The library loaded, or "" when none was. */
  readonly libraryPath: string;
  /** Driver version NVML reports, or "" when down. */
  readonly driverVersion: string;
  /** Stops monitoring and releases NVML; safe to call more than once. */
  stop(): Promise<void>;
}

class Provider implements NvmlProvider {
  readonly up: boolean;
  readonly reason: string;
  readonly devices: number;
  readonly libraryPath: string;
  readonly driverVersion: string;
  #release: (() => Promise<void>) | undefined;
  #stopped: Promise<void> | undefined;

  constructor(
    state: Omit<NvmlProvider, "stop" | typeof Symbol.asyncDispose>,
    release?: () => Promise<void>,
  ) {
    this.up = state.up;
    this.reason = state.reason;
    this.devices = state.devices;
    this.libraryPath = state.libraryPath;
    this.driverVersion = state.driverVersion;
    this.#release = release;
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#release?.() ?? Promise.resolve();
    return this.#stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

function down(logger: NvmlLogger, libraryPath: string, reason: string): NvmlProvider {
  logger.info("NVML provider is down; the server keeps serving", "reason", reason);
  return new Provider({ up: false, reason, devices: 0, libraryPath, driverVersion: "" });
}

function locate(options: NvmlProviderOptions): string {
  if (options.libraryPath !== undefined) {
    if (!isAbsolute(options.libraryPath)) {
      throw new TypeError(`library path '${options.libraryPath}' is not an absolute path`);
    }
    return options.libraryPath;
  }
  const root = options.driverRoot ?? "/";
  const found = findNvmlLibrary({ driverRoot: root });
  if (found === undefined) {
    throw new Error(
      `no ${NVML_LIBRARY_NAME} under driver root ${root} in ${NVML_LIBRARY_DIRS.join(", ")}`,
    );
  }
  return found;
}

/**
 * Starts the NVML provider. Never fails for a node without NVML: the provider comes back down,
 * with a reason, and one log line says why.
 *
 * @param options Writer, logger, library location and XID policy.
 * @returns The provider; call `stop()` before exit.
 */
export async function startNvmlProvider(options: NvmlProviderOptions): Promise<NvmlProvider> {
  const { logger } = options;
  let path: string;
  try {
    path = locate(options);
  } catch (err) {
    return down(logger, "", `Cannot find NVML library: ${(err as Error).message}`);
  }
  let nvml: NvmlLibrary;
  try {
    nvml = NvmlLibrary.open(path);
  } catch (err) {
    return down(logger, path, `Cannot load NVML library ${path}: ${(err as Error).message}`);
  }
  try {
    nvml.init();
  } catch (err) {
    nvml.close();
    return down(logger, path, (err as Error).message);
  }
  // From here on NVML is initialized: every exit path shuts it down and closes the library.
  const release = async (monitor?: HealthMonitor) => {
    await monitor?.stop(); // waits for the wait in flight: closing during it would crash
    try {
      nvml.shutdown();
    } catch (err) {
      logger.error(err, "Cannot shut NVML down");
    }
    nvml.close();
  };
  try {
    const driverVersion = nvml.driverVersion();
    const gpus = enumerateGpus(nvml, logger);
    if (gpus.length === 0) {
      await release();
      return down(logger, path, "NVML reports no usable GPUs");
    }
    const published = [];
    for (const gpu of gpus) {
      try {
        await options.writer.ensureGpu(gpu.name, gpu.spec);
        published.push(gpu);
      } catch (err) {
        logger.error(err, "Cannot publish GPU, not monitoring it", "gpu", gpu.name);
      }
    }
    if (published.length === 0) {
      await release();
      return down(logger, path, "Cannot publish any GPU: every write failed");
    }
    const waitTimeoutMs = Math.min(
      Math.max(Math.trunc(options.waitTimeoutMs ?? MAX_WAIT_TIMEOUT_MS), 1),
      MAX_WAIT_TIMEOUT_MS,
    );
    const monitor = await HealthMonitor.start({
      nvml,
      gpus: published,
      writer: options.writer,
      logger,
      policy: createXidPolicy(options),
      waitTimeoutMs,
    });
    logger.info(
      "NVML provider started",
      "library",
      path,
      "driverVersion",
      driverVersion,
      "gpus",
      published.length,
    );
    const state = {
      up: true,
      reason: "",
      devices: published.length,
      libraryPath: path,
      driverVersion,
    };
    return new Provider(state, () => release(monitor));
  } catch (err) {
    await release();
    return down(logger, path, `Cannot start NVML monitoring: ${(err as Error).message}`);
  }
}
