/**
 * The event loop of the NVML provider: registers health events, waits for them without
 * blocking the event loop, and writes the `NVMLReady` condition through the writer.
 *
 * @module
 */

import { settlesWithin } from "./_call_gate.ts";
import { NvmlCallTimeout, NvmlError, NvmlReturn } from "./errors.ts";
import type { NvmlEventData, NvmlLibrary } from "./_library.ts";
import type { NvmlGpu } from "./_enumerate.ts";
import { registerHealthEvents } from "./_registration.ts";
import {
  classifyEvent,
  decideHealth,
  healthyCondition,
  LOST_ACTION,
  lostCondition,
  recoveredCondition,
  unmonitoredCondition,
} from "./health_policy.ts";
import type { GpuRecord } from "./_gpu_record.ts";
import type { NvmlLogger } from "./logger.ts";
import type { ConditionInput } from "./writer.ts";
import { xidLabel } from "./xid_catalog.ts";
import type { XidPolicy } from "./xid_policy.ts";

/** Options of {@linkcode HealthMonitor.start}. */
export interface HealthMonitorOptions {
  nvml: NvmlLibrary;
  gpus: readonly NvmlGpu[];
  /** One record per GPU, in the order of `gpus`. */
  records: readonly GpuRecord[];
  logger: NvmlLogger;
  /** Called for every XID event with its metric label (catalog code or "other"). */
  onXid?: (label: string) => void;
  policy: XidPolicy;
  /** Upper bound of one wait, and the pause between probes while a GPU is lost. */
  waitTimeoutMs: number;
}

/** What a probe found: the GPU answers, reports an error, or does not answer in time. */
type Probe = { answers: true } | { answers: false; hung: NvmlCallTimeout | undefined };

// Per GPU state; touched only by start() and the loop, which never overlap.
interface Entry {
  gpu: NvmlGpu;
  record: GpuRecord;
  /** Why events are not monitored, or undefined when they are. */
  unmonitoredWhy: string | undefined;
  /** Names of the registered event types. */
  monitored: string[];
  lost: boolean;
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
  #unknownXidsLogged = new Set<number>();

  private constructor(options: HealthMonitorOptions) {
    this.#o = options;
    this.#entries = options.gpus.map((gpu, i) => ({
      gpu,
      record: options.records[i]!,
      unmonitoredWhy: undefined,
      monitored: [],
      lost: false,
    }));
  }

  /** Whether the GPU is lost or its NVML calls hang: pollers leave it to the probes. */
  isUnreachable(name: string): boolean {
    const entry = this.#entries.find((e) => e.gpu.name === name);
    return entry !== undefined && (entry.lost || entry.record.hung);
  }

  /** Registers events, writes the initial conditions and starts the loop. */
  static async start(options: HealthMonitorOptions): Promise<HealthMonitor> {
    const monitor = new HealthMonitor(options);
    await monitor.#renewEventSet();
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

  /**
   * Ends the loop, waits for the wait in flight (at most `boundMs`), then frees the event set.
   *
   * @returns False when the loop was still in an NVML call after `boundMs`.
   */
  async stop(boundMs: number): Promise<boolean> {
    this.#stopping = true;
    this.#wakePause?.();
    const ended = await settlesWithin(this.#loop, boundMs);
    if (ended) await this.#freeSet();
    return ended;
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
    if (health.kind === "xid") this.#o.onXid?.(xidLabel(health.xid));
    const decision = decideHealth(health, this.#o.policy);
    if (decision.action === "set" && decision.unknownXid && health.kind === "xid") {
      if (!this.#unknownXidsLogged.has(health.xid)) {
        this.#unknownXidsLogged.add(health.xid);
        this.#o.logger.info(
          "XID not in the catalog; treating it as critical (logged once per XID)",
          "xid",
          health.xid,
          "action",
          decision.recommended,
        );
      }
    }
    const targets = await this.#targetsOf(event.device);
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
      await this.#write(entry, decision.condition, decision.recommended);
    }
  }

  async #targetsOf(device: bigint): Promise<Entry[]> {
    const byHandle = this.#entries.filter((e) => e.gpu.handle === device);
    if (byHandle.length > 0) return byHandle;
    try {
      const uuid = await this.#o.nvml.uuid(device);
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
      await this.#write(entry, lostCondition(), LOST_ACTION);
    }
  }

  /**
   * While a GPU is lost: mark each GPU by whether it answers (probed in parallel, each on a
   * thread of its own); renew events once all do.
   */
  async #probe(): Promise<void> {
    const probes = await Promise.all(this.#entries.map((entry) => this.#answers(entry)));
    // Once every GPU answers, register events again before reporting any GPU recovered: an
    // event right after the report must not fall between the report and the registration.
    let before: (string | undefined)[] | undefined;
    if (probes.every((p) => p.answers) && !this.#stopping) {
      before = this.#entries.map((e) => e.unmonitoredWhy);
      await this.#renewEventSet();
      // Without a new event set the episode goes on, so the next probe tries again.
      this.#lostEpisode = this.#set === undefined;
    }
    const reported = new Set<Entry>();
    for (const [i, entry] of this.#entries.entries()) {
      const probe = probes[i]!;
      if (!probe.answers && probe.hung !== undefined) {
        entry.lost = true;
        await this.#markHung(entry, probe.hung);
        continue;
      }
      const hung = entry.record.hung;
      entry.record.setHung(undefined);
      if (probe.answers === !entry.lost && !hung) continue;
      entry.lost = !probe.answers;
      reported.add(entry);
      this.#o.logger.info(
        probe.answers ? "GPU answers NVML again" : "GPU is lost",
        "gpu",
        entry.gpu.name,
      );
      if (probe.answers) await this.#write(entry, recoveredCondition(entry.unmonitoredWhy));
      else await this.#write(entry, lostCondition(), LOST_ACTION);
    }
    if (before === undefined) return;
    for (const [i, entry] of this.#entries.entries()) {
      if (reported.has(entry) || entry.unmonitoredWhy === before[i]) continue;
      if (entry.record.ready?.status !== "True") continue;
      const why = entry.unmonitoredWhy;
      await this.#write(entry, why ? unmonitoredCondition(why) : recoveredCondition());
    }
  }

  async #answers(entry: Entry): Promise<Probe> {
    const { nvml } = this.#o;
    try {
      const handle = (await nvml.handleByUuid(entry.gpu.spec.uuid, entry.gpu.handle)) ??
        entry.gpu.handle;
      await nvml.memoryTotalBytes(handle);
      entry.gpu.handle = handle;
      return { answers: true };
    } catch (err) {
      return { answers: false, hung: err instanceof NvmlCallTimeout ? err : undefined };
    }
  }

  /** (Re)creates the event set and registers every GPU on it; failures make GPUs unmonitored. */
  async #renewEventSet(): Promise<void> {
    await this.#freeSet();
    const { set, gpus } = await registerHealthEvents(this.#o.nvml, this.#o.gpus, this.#o.logger);
    for (const [i, entry] of this.#entries.entries()) {
      entry.monitored = gpus[i]?.monitored ?? [];
      entry.unmonitoredWhy = gpus[i]?.unmonitoredWhy;
    }
    this.#set = set;
  }

  async #freeSet(): Promise<void> {
    if (this.#set === undefined) return;
    try {
      await this.#o.nvml.eventSetFree(this.#set);
    } catch (err) {
      this.#o.logger.error(err, "Cannot free NVML event set");
    }
    this.#set = undefined;
  }

  /**
   * Marks a GPU whose NVML call hung: `NVMLReady` Unknown until it answers, and the probes
   * of a lost episode take over.
   */
  async markHung(name: string, err: NvmlCallTimeout): Promise<void> {
    const entry = this.#entries.find((e) => e.gpu.name === name);
    if (entry === undefined) return;
    this.#lostEpisode = true;
    entry.lost = true;
    await this.#markHung(entry, err);
  }

  async #markHung(entry: Entry, err: NvmlCallTimeout): Promise<void> {
    if (!entry.record.hung) {
      this.#o.logger.info(
        "NVML call hung; GPU health unknown",
        "gpu",
        entry.gpu.name,
        "err",
        err.message,
      );
    }
    entry.record.setHung(err.message);
    await entry.record.publish();
  }

  // Always writes (force): the store turns an unchanged condition into a no-op, and an
  // operator may have cleared or overridden what this provider wrote last, so a repeated
  // event must reach the store again.
  async #write(entry: Entry, condition: ConditionInput, action = ""): Promise<void> {
    entry.record.set(condition, action, true);
    await entry.record.publish();
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
