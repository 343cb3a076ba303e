/**
 * The event loop of the NVML provider: registers health events, waits for them without
 * blocking the event loop, and writes the `NVMLReady` condition through the writer.
 *
 * @module
 */

import { NvmlError, NvmlReturn } from "./errors.ts";
import type { NvmlEventData, NvmlLibrary } from "./_library.ts";
import type { NvmlGpu } from "./_enumerate.ts";
import { registerHealthEvents } from "./_registration.ts";
import {
  classifyEvent,
  decideHealth,
  healthyCondition,
  lostCondition,
  recoveredCondition,
  unmonitoredCondition,
} from "./health_policy.ts";
import type { NvmlLogger } from "./logger.ts";
import { type ConditionInput, type GpuStateWriter, NVML_PROVIDER_NAME } from "./writer.ts";
import type { XidPolicy } from "./xid_policy.ts";

/** Options of {@linkcode HealthMonitor.start}. */
export interface HealthMonitorOptions {
  nvml: NvmlLibrary;
  gpus: readonly NvmlGpu[];
  writer: GpuStateWriter;
  logger: NvmlLogger;
  policy: XidPolicy;
  /** Upper bound of one wait, and the pause between probes while a GPU is lost. */
  waitTimeoutMs: number;
}

// Per GPU state; touched only by start() and the loop, which never overlap.
interface Entry {
  gpu: NvmlGpu;
  /** Why events are not monitored, or undefined when they are. */
  unmonitoredWhy: string | undefined;
  /** Names of the registered event types. */
  monitored: string[];
  lost: boolean;
  /** The condition last written successfully. */
  last: ConditionInput | undefined;
}

/** Watches NVML health events until stopped; never throws from its loop. */
export class HealthMonitor {
  #o: HealthMonitorOptions;
  #entries: Entry[];
  #set: bigint | undefined;
  #stopping = false;
  #lostEpisode = false;
  #loop: Promise<void> = Promise.resolve();
  #wakePause: (() => void) | undefined;

  private constructor(options: HealthMonitorOptions) {
    this.#o = options;
    this.#entries = options.gpus.map((gpu) => ({
      gpu,
      unmonitoredWhy: undefined,
      monitored: [],
      lost: false,
      last: undefined,
    }));
  }

  /** Registers events, writes the initial conditions and starts the loop. */
  static async start(options: HealthMonitorOptions): Promise<HealthMonitor> {
    const monitor = new HealthMonitor(options);
    monitor.#renewEventSet();
    for (const entry of monitor.#entries) {
      const why = entry.unmonitoredWhy;
      await monitor.#write(
        entry,
        why ? unmonitoredCondition(why) : healthyCondition(entry.monitored),
      );
    }
    if (monitor.#set !== undefined) monitor.#loop = monitor.#run();
    return monitor;
  }

  /** Ends the loop, waits for the wait in flight, then frees the event set. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wakePause?.();
    await this.#loop;
    this.#freeSet();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.#iterate();
      } catch (err) {
        this.#o.logger.error(err, "NVML health monitor iteration failed");
        await this.#pause();
      }
    }
  }

  async #iterate(): Promise<void> {
    if (this.#lostEpisode) await this.#probe();
    if (this.#set === undefined) return await this.#pause();
    let event: NvmlEventData | null;
    try {
      event = await this.#o.nvml.waitEvent(this.#set, this.#o.waitTimeoutMs);
    } catch (err) {
      if (this.#stopping) return;
      if (err instanceof NvmlError && err.code === NvmlReturn.GPU_IS_LOST) await this.#onLost(err);
      else this.#o.logger.error(err, "Cannot wait for NVML events; retrying");
      return await this.#pause();
    }
    if (event !== null && !this.#stopping) await this.#onEvent(event);
  }

  async #onEvent(event: NvmlEventData): Promise<void> {
    const health = classifyEvent(event.eventType, event.eventData, event);
    const decision = decideHealth(health, this.#o.policy);
    const targets = this.#targetsOf(event.device);
    const names = targets.map((e) => e.gpu.name);
    if (decision.action === "log") {
      const log = health.kind === "other" ? this.#o.logger.V(2) : this.#o.logger;
      log.info(decision.message, "gpus", names);
      return;
    }
    for (const entry of targets) {
      if (entry.lost) continue;
      this.#o.logger.info(
        "GPU unhealthy",
        "gpu",
        entry.gpu.name,
        "reason",
        decision.condition.reason,
        "message",
        decision.condition.message,
      );
      await this.#write(entry, decision.condition);
    }
  }

  #targetsOf(device: bigint): Entry[] {
    const byHandle = this.#entries.filter((e) => e.gpu.handle === device);
    if (byHandle.length > 0) return byHandle;
    try {
      const uuid = this.#o.nvml.uuid(device);
      const byUuid = this.#entries.filter((e) => e.gpu.spec.uuid === uuid);
      if (byUuid.length > 0) return byUuid;
    } catch (err) {
      this.#o.logger.V(2).info("Cannot read UUID of event device", "err", String(err));
    }
    this.#o.logger.info("Cannot tell which GPU an NVML event is about; applying it to every GPU");
    return this.#entries;
  }

  async #onLost(err: NvmlError): Promise<void> {
    if (this.#lostEpisode) return;
    this.#lostEpisode = true;
    this.#o.logger.error(err, "NVML reports a GPU lost; marking every GPU unhealthy");
    for (const entry of this.#entries) {
      entry.lost = true;
      await this.#write(entry, lostCondition());
    }
  }

  /** While a GPU is lost: mark each GPU by whether it answers; renew events once all do. */
  async #probe(): Promise<void> {
    let all = true;
    for (const entry of this.#entries) {
      const answers = this.#answers(entry);
      all &&= answers;
      if (answers === !entry.lost) continue;
      entry.lost = !answers;
      this.#o.logger.info(
        answers ? "GPU answers NVML again" : "GPU is lost",
        "gpu",
        entry.gpu.name,
      );
      await this.#write(
        entry,
        answers ? recoveredCondition(entry.unmonitoredWhy) : lostCondition(),
      );
    }
    if (!all) return;
    const before = this.#entries.map((e) => e.unmonitoredWhy);
    this.#renewEventSet();
    // Without a new event set the episode goes on, so the next probe tries again.
    this.#lostEpisode = this.#set === undefined;
    for (const [i, entry] of this.#entries.entries()) {
      if (entry.unmonitoredWhy === before[i] || entry.last?.status !== "True") continue;
      const why = entry.unmonitoredWhy;
      await this.#write(entry, why ? unmonitoredCondition(why) : recoveredCondition());
    }
  }

  #answers(entry: Entry): boolean {
    try {
      const handle = this.#o.nvml.handleByUuid(entry.gpu.spec.uuid) ?? entry.gpu.handle;
      this.#o.nvml.memoryTotalBytes(handle);
      entry.gpu.handle = handle;
      return true;
    } catch {
      return false;
    }
  }

  /** (Re)creates the event set and registers every GPU on it; failures make GPUs unmonitored. */
  #renewEventSet(): void {
    this.#freeSet();
    const { set, gpus } = registerHealthEvents(this.#o.nvml, this.#o.gpus, this.#o.logger);
    for (const [i, entry] of this.#entries.entries()) {
      entry.monitored = gpus[i]?.monitored ?? [];
      entry.unmonitoredWhy = gpus[i]?.unmonitoredWhy;
    }
    this.#set = set;
  }

  #freeSet(): void {
    if (this.#set === undefined) return;
    try {
      this.#o.nvml.eventSetFree(this.#set);
    } catch (err) {
      this.#o.logger.error(err, "Cannot free NVML event set");
    }
    this.#set = undefined;
  }

  // Always writes: the store turns an unchanged condition into a no-op, and an
  // operator may have cleared or overridden what this provider wrote last, so
  // a repeated event must reach the store again.
  async #write(entry: Entry, condition: ConditionInput): Promise<void> {
    try {
      await this.#o.writer.setConditions(entry.gpu.name, NVML_PROVIDER_NAME, [condition]);
      entry.last = condition;
    } catch (err) {
      this.#o.logger.error(err, "Cannot write NVML condition", "gpu", entry.gpu.name);
    }
  }

  #pause(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakePause = undefined;
        resolve();
      }, this.#o.waitTimeoutMs);
      this.#wakePause = () => {
        clearTimeout(timer);
        this.#wakePause = undefined;
        resolve();
      };
    });
  }
}
