/**
 * Polls each GPU's slow-moving health signals (row remapping, retired pages, volatile
 * uncorrectable ECC, clock event reasons with temperatures) at a fixed interval, off the event
 * loop (every call is nonblocking and time-limited), and turns them into the GPU's
 * `NVMLMemoryHealthy` and `NVMLClocksHealthy` conditions.
 *
 * A call the driver or GPU does not support (missing symbol, NOT_SUPPORTED) is dropped for that
 * GPU, logged once; the other signals stay polled.
 *
 * @module
 */

import { settlesWithin } from "./_call_gate.ts";
import type { NvmlGpu } from "./_enumerate.ts";
import { NvmlCallTimeout, NvmlError, NvmlReturn } from "./errors.ts";
import type { GpuRecord } from "./_gpu_record.ts";
import type { NvmlLibrary } from "./_library.ts";
import type { NvmlLogger } from "./logger.ts";
import { signalConditions, signalProblems, type SignalReadings } from "./signals.ts";

/** Options of {@linkcode SignalPoller}. */
export interface SignalPollerOptions {
  nvml: NvmlLibrary;
  gpus: readonly NvmlGpu[];
  /** One record per GPU, in the order of `gpus`. */
  records: readonly GpuRecord[];
  logger: NvmlLogger;
  /** Pause between polls, in milliseconds. */
  intervalMs: number;
  /** Called when a signal turns active on a GPU, with its metric label. */
  onSignal?: (signal: string) => void;
  /** Whether the event monitor has the GPU as lost or hung (its probes own it then). */
  isUnreachable(name: string): boolean;
  /** Hands a GPU whose call hung to the event monitor. */
  onHung(name: string, err: NvmlCallTimeout): Promise<void>;
}

// One GPU's poll state: calls found unsupported, the static thresholds, active signals.
interface PollState {
  unsupported: Set<string>;
  slowdownThreshold?: number;
  shutdownThreshold?: number;
  active: Set<string>;
}

/** Polls until stopped; never throws from its loop. */
export class SignalPoller {
  #o: SignalPollerOptions;
  #state: PollState[];
  #stopping = false;
  #loop: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;

  constructor(options: SignalPollerOptions) {
    this.#o = options;
    this.#state = options.gpus.map(() => ({ unsupported: new Set(), active: new Set() }));
  }

  /** Polls once now, then every interval. */
  start(): void {
    this.#loop = this.#run();
  }

  /**
   * Ends the loop; waits for the poll in flight at most `boundMs`.
   *
   * @returns False when a poll was still in an NVML call after `boundMs`.
   */
  stop(boundMs: number): Promise<boolean> {
    this.#stopping = true;
    this.#wake?.();
    return settlesWithin(this.#loop, boundMs);
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      await Promise.all(this.#o.gpus.map((gpu, i) => this.#pollGpu(gpu, i)));
      if (this.#stopping) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#o.intervalMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }

  async #pollGpu(gpu: NvmlGpu, i: number): Promise<void> {
    if (this.#o.isUnreachable(gpu.name)) return;
    const state = this.#state[i]!;
    let readings: SignalReadings;
    try {
      readings = await this.#read(gpu, state);
    } catch (err) {
      if (err instanceof NvmlCallTimeout) return await this.#o.onHung(gpu.name, err);
      // GPU_IS_LOST and the like: the event wait reports those; try again next time.
      this.#o.logger.V(2).info("Cannot poll GPU signals", "gpu", gpu.name, "err", String(err));
      return;
    }
    if (this.#stopping) return;
    const record = this.#o.records[i]!;
    for (const { condition, action } of signalConditions(readings)) record.set(condition, action);
    const active = new Set(signalProblems(readings).map((p) => p.signal));
    for (const signal of active) {
      if (state.active.has(signal)) continue;
      this.#o.onSignal?.(signal);
      this.#o.logger.info("GPU signal detected", "gpu", gpu.name, "signal", signal);
    }
    for (const signal of state.active) {
      if (!active.has(signal)) {
        this.#o.logger.info("GPU signal cleared", "gpu", gpu.name, "signal", signal);
      }
    }
    state.active = active;
    await record.publish();
  }

  async #read(gpu: NvmlGpu, state: PollState): Promise<SignalReadings> {
    const { nvml } = this.#o;
    const dev = gpu.handle;
    const r: SignalReadings = {};
    const get = <T>(key: string, call: () => Promise<T | null>) =>
      this.#optional(gpu, state, key, call);
    r.remappedRows = await get("remapped rows", () => nvml.remappedRows(dev));
    r.retiredPagesPending = await get("retired pages pending", () => nvml.retiredPagesPending(dev));
    r.retiredPagesSbe = await get("retired pages", () => nvml.retiredPageCount(dev, 0));
    if (r.retiredPagesSbe !== undefined) {
      r.retiredPagesDbe = await get("retired pages", () => nvml.retiredPageCount(dev, 1));
    }
    const ecc = await get("volatile ECC", () => nvml.totalEccErrors(dev, 1, 0));
    if (ecc !== undefined) r.volatileUncorrectableEcc = ecc;
    r.clockReasons = await get("clock event reasons", () => nvml.clockEventReasons(dev));
    if (r.clockReasons !== undefined) {
      r.temperature = await get("temperature", () => nvml.temperature(dev));
      state.slowdownThreshold ??= await get(
        "slowdown threshold",
        () => nvml.temperatureThreshold(dev, 1),
      );
      state.shutdownThreshold ??= await get(
        "shutdown threshold",
        () => nvml.temperatureThreshold(dev, 0),
      );
      r.slowdownThreshold = state.slowdownThreshold;
      r.shutdownThreshold = state.shutdownThreshold;
    }
    for (const key of Object.keys(r) as (keyof SignalReadings)[]) {
      if (r[key] === undefined) delete r[key];
    }
    return r;
  }

  /** One optional read: undefined (and never asked again) when unsupported. */
  async #optional<T>(
    gpu: NvmlGpu,
    state: PollState,
    key: string,
    call: () => Promise<T | null>,
  ): Promise<T | undefined> {
    if (state.unsupported.has(key)) return undefined;
    try {
      const value = await call();
      if (value !== null) return value;
      state.unsupported.add(key);
      this.#o.logger.V(2).info(
        "NVML library lacks a signal call; not polled",
        "gpu",
        gpu.name,
        "signal",
        key,
      );
      return undefined;
    } catch (err) {
      if (err instanceof NvmlError && err.code === NvmlReturn.NOT_SUPPORTED) {
        state.unsupported.add(key);
        this.#o.logger.info(
          "GPU does not support a signal; not polled",
          "gpu",
          gpu.name,
          "signal",
          key,
        );
        return undefined;
      }
      throw err;
    }
  }
}
