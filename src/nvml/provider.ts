/**
 * The built-in NVML provider: finds and loads NVML, publishes every GPU, and keeps its
 * conditions current. A node without NVML is not an error: the provider is just down.
 *
 * Nothing here runs NVML on the event loop: every call is `nonblocking` and time-limited, and
 * the start (nvmlInit can take seconds on a node with many GPUs and no persistence mode) runs in
 * the background while the server already answers.
 *
 * @module
 */

import { isAbsolute } from "node:path";
import { findNvmlLibrary, NVML_LIBRARY_DIRS, NVML_LIBRARY_NAME } from "./discovery.ts";
import { settlesWithin } from "./_call_gate.ts";
import { enumerateGpus } from "./_enumerate.ts";
import { NvmlError, NvmlReturn } from "./errors.ts";
import { GpuRecord } from "./_gpu_record.ts";
import { HealthMonitor } from "./_health_monitor.ts";
import { NvmlLibrary } from "./_library.ts";
import { SignalPoller } from "./_signal_poller.ts";
import type { NvmlLogger } from "./logger.ts";
import type { GpuStateWriter } from "./writer.ts";
import { createXidPolicy, type XidPolicyOptions } from "./xid_policy.ts";

/** Default and upper bound of one NVML event wait, in milliseconds. */
export const MAX_WAIT_TIMEOUT_MS = 5000;

/** Default limit of one NVML call, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

/** Default pause between two polls of the GPU signals, in milliseconds. */
export const DEFAULT_POLL_INTERVAL_MS = 5000;

/**
 * Where the provider stands: `disabled` (not asked to run; set by the server), `not_found` (no
 * library, no driver or no GPU), `starting` (loading, nvmlInit, enumeration), `running`, or
 * `failed` (NVML is there but does not work).
 */
export type NvmlState = "disabled" | "not_found" | "starting" | "running" | "failed";

/** Every {@linkcode NvmlState}, in the order metrics list them. */
export const NVML_STATES: readonly NvmlState[] = [
  "disabled",
  "not_found",
  "starting",
  "running",
  "failed",
];

/** Options of {@linkcode startNvmlProvider}. */
export interface NvmlProviderOptions extends XidPolicyOptions {
  /** Where GPUs and conditions are written. */
  writer: GpuStateWriter;
  logger: NvmlLogger;
  /** Absolute path of `libnvidia-ml.so.1`; skips the search under `driverRoot`. */
  libraryPath?: string;
  /** Root of the driver installation searched for the library (default `/`). */
  driverRoot?: string;
  /** Upper bound of one event wait (1..5000, default 5000); also the probe interval while a GPU is lost. */
  waitTimeoutMs?: number;
  /** Limit of one NVML call (default 5000 ms); a call past it marks its GPU Unknown. */
  callTimeoutMs?: number;
  /** Pause between polls of row remapping, retired pages, ECC and clocks (default 5000 ms; 0: no polling). */
  pollIntervalMs?: number;
  /** Called on every state change, e.g. to update metrics. */
  onStateChange?: (state: NvmlState) => void;
  /** Called for every XID event, with its metric label (catalog code or "other"). */
  onXid?: (label: string) => void;
  /** Called when a polled signal turns active on a GPU, with its metric label. */
  onSignal?: (signal: string) => void;
}

/** A started NVML provider. */
export interface NvmlProvider extends AsyncDisposable {
  /** Where the provider stands now. */
  readonly state: NvmlState;
  /** Whether NVML is loaded and GPUs are monitored. */
  readonly up: boolean;
  /** Why the provider is down; "" when up or starting. */
  readonly reason: string;
  /** Number of GPUs published. */
  readonly devices: number;
  /** The library loaded, or "" when none was. */
  readonly libraryPath: string;
  /** Driver version NVML reports, or "" when down. */
  readonly driverVersion: string;
  /** Settles once the start has finished, up or down. */
  readonly started: Promise<void>;
  /**
   * Stops monitoring and releases NVML; safe to call more than once. Never waits on a hung
   * NVML call for longer than the call limit plus one event wait: NVML is then left loaded
   * (and logged), since unloading under a call in flight would crash the process.
   */
  stop(): Promise<void>;
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

function clamp(value: number | undefined, fallback: number, max: number): number {
  return Math.min(Math.max(Math.trunc(value ?? fallback), 1), max);
}

// Return codes that mean "no NVIDIA driver or GPU here" rather than "NVML is broken".
const ABSENT: ReadonlySet<number> = new Set([
  NvmlReturn.DRIVER_NOT_LOADED,
  NvmlReturn.LIBRARY_NOT_FOUND,
  28, // GPU_NOT_FOUND
]);

class Provider implements NvmlProvider {
  state: NvmlState = "starting";
  reason = "";
  devices = 0;
  libraryPath = "";
  driverVersion = "";
  readonly started: Promise<void>;
  #o: NvmlProviderOptions;
  #waitTimeoutMs: number;
  #callTimeoutMs: number;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #nvml: NvmlLibrary | undefined;
  #monitor: HealthMonitor | undefined;
  #poller: SignalPoller | undefined;

  constructor(options: NvmlProviderOptions) {
    this.#o = options;
    this.#waitTimeoutMs = clamp(options.waitTimeoutMs, MAX_WAIT_TIMEOUT_MS, MAX_WAIT_TIMEOUT_MS);
    this.#callTimeoutMs = clamp(options.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS, 3_600_000);
    options.onStateChange?.("starting");
    this.started = this.#start().catch((err) => {
      this.#down("failed", `Cannot start NVML monitoring: ${(err as Error).message}`);
    });
  }

  get up(): boolean {
    return this.state === "running";
  }

  #set(state: NvmlState): void {
    this.state = state;
    this.#o.onStateChange?.(state);
  }

  #down(state: "not_found" | "failed", reason: string): void {
    this.reason = reason;
    this.#set(state);
    this.#o.logger.info("NVML provider is down; the server keeps serving", "reason", reason);
  }

  async #start(): Promise<void> {
    const { logger } = this.#o;
    let path: string;
    try {
      path = locate(this.#o);
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) {
        // A link under the driver root leads outside the directories the server may read.
        return this.#down(
          "failed",
          `Cannot find NVML library: a link under the driver root leads outside the server's ` +
            `permission scope (${err.message}); set --nvml-library-path to the library's own path`,
        );
      }
      return this.#down("not_found", `Cannot find NVML library: ${(err as Error).message}`);
    }
    this.libraryPath = path;
    let nvml: NvmlLibrary;
    try {
      nvml = NvmlLibrary.open(path, this.#callTimeoutMs);
    } catch (err) {
      const why = `Cannot load NVML library ${path}: ${(err as Error).message}`;
      return this.#down(err instanceof Deno.errors.NotCapable ? "failed" : "not_found", why);
    }
    this.#nvml = nvml;
    const slow = setTimeout(
      () => logger.info("nvmlInit is slow; the server keeps serving meanwhile"),
      this.#callTimeoutMs,
    );
    try {
      await nvml.init();
    } catch (err) {
      this.#nvml = undefined;
      await this.#close(nvml);
      const absent = err instanceof NvmlError && ABSENT.has(err.code);
      return this.#down(absent ? "not_found" : "failed", (err as Error).message);
    } finally {
      clearTimeout(slow);
    }
    // From here on NVML is initialized: every exit path shuts it down and closes the library.
    if (this.#stopping) return await this.#release();
    try {
      this.driverVersion = await nvml.driverVersion();
      const gpus = await enumerateGpus(nvml, logger);
      if (gpus.length === 0) {
        await this.#release();
        return this.#down("not_found", "NVML reports no usable GPUs");
      }
      const published = [];
      for (const gpu of gpus) {
        try {
          await this.#o.writer.ensureGpu(gpu.name, gpu.spec);
          published.push(gpu);
        } catch (err) {
          logger.error(err, "Cannot publish GPU, not monitoring it", "gpu", gpu.name);
        }
      }
      if (published.length === 0) {
        await this.#release();
        return this.#down("failed", "Cannot publish any GPU: every write failed");
      }
      if (this.#stopping) return await this.#release();
      const records = published.map((g) => new GpuRecord(g.name, this.#o.writer, logger));
      const monitor = await HealthMonitor.start({
        nvml,
        gpus: published,
        records,
        logger,
        policy: createXidPolicy(this.#o),
        waitTimeoutMs: this.#waitTimeoutMs,
        onXid: this.#o.onXid,
      });
      this.#monitor = monitor;
      const pollIntervalMs = this.#o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
      if (pollIntervalMs > 0) {
        this.#poller = new SignalPoller({
          nvml,
          gpus: published,
          records,
          logger,
          intervalMs: pollIntervalMs,
          onSignal: this.#o.onSignal,
          isUnreachable: (name) => monitor.isUnreachable(name),
          onHung: (name, err) => monitor.markHung(name, err),
        });
        this.#poller.start();
      }
      this.devices = published.length;
      logger.info(
        "NVML provider started",
        "library",
        path,
        "driverVersion",
        this.driverVersion,
        "gpus",
        published.length,
      );
      this.#set("running");
      if (this.#stopping) await this.#release();
    } catch (err) {
      await this.#release();
      this.driverVersion = "";
      this.#down("failed", `Cannot start NVML monitoring: ${(err as Error).message}`);
    }
  }

  /** How long stop() waits for NVML at most: one event wait plus one call. */
  get #boundMs(): number {
    return this.#waitTimeoutMs + this.#callTimeoutMs;
  }

  async #release(): Promise<void> {
    const nvml = this.#nvml;
    this.#nvml = undefined;
    const monitor = this.#monitor;
    this.#monitor = undefined;
    const poller = this.#poller;
    this.#poller = undefined;
    if (nvml === undefined) return;
    if (poller !== undefined && !(await poller.stop(this.#callTimeoutMs))) {
      return this.#abandon(nvml);
    }
    // The monitor's wait must end before the set is freed and the library closed.
    if (monitor !== undefined && !(await monitor.stop(this.#boundMs))) {
      return this.#abandon(nvml);
    }
    if (!(await nvml.whenIdle(this.#callTimeoutMs))) return this.#abandon(nvml);
    try {
      await nvml.shutdown();
    } catch (err) {
      this.#o.logger.error(err, "Cannot shut NVML down");
    }
    await this.#close(nvml);
  }

  async #close(nvml: NvmlLibrary): Promise<void> {
    if (!(await nvml.whenIdle(this.#callTimeoutMs))) return this.#abandon(nvml);
    nvml.close();
  }

  #abandon(nvml: NvmlLibrary): void {
    this.#o.logger.info(
      "NVML calls still in flight at stop; leaving NVML loaded (process exit releases it)",
      "inflight",
      nvml.inflight,
    );
  }

  stop(): Promise<void> {
    this.#stopping = true;
    this.#stopped ??= this.#stopNow();
    return this.#stopped;
  }

  async #stopNow(): Promise<void> {
    // A start in progress notices #stopping at its next step and releases NVML itself; wait
    // for that, but never longer than a hung nvmlInit allows.
    const done = await settlesWithin(this.started, this.#boundMs);
    if (!done) {
      this.#o.logger.info("NVML is still starting at stop; not waiting for it");
      return;
    }
    await this.#release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * Starts the NVML provider in the background and returns at once, in state `starting`. Never
 * fails for a node without NVML: the provider goes down, with a reason, and one log line says
 * why. Await `started` to know how the start ended.
 *
 * @param options Writer, logger, library location, limits and XID policy.
 * @returns The provider; call `stop()` before exit.
 */
export function startNvmlProvider(options: NvmlProviderOptions): NvmlProvider {
  return new Provider(options);
}
