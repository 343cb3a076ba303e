/**
 * Test doubles for the NVML provider: an in-memory {@linkcode GpuStateWriter} standing in for
 * the server store, a capturing logger, and a wait helper.
 *
 * @module
 */

import {
  type ActionChange,
  type ConditionInput,
  type GpuStateWriter,
  mergeAction,
  NVML_PROVIDER_NAME,
  type NvmlLogger,
} from "../../src/nvml/mod.ts";
import type { GpuSpec } from "../../src/api/mod.ts";
import { until } from "../_helpers/poll.ts";

/** A stored condition with its owner. */
export interface StoredCondition extends ConditionInput {
  owner: string;
}

/** A stored GPU. */
export interface StoredGpu {
  spec: GpuSpec;
  conditions: Map<string, StoredCondition>;
  /** `status.recommended_action`. */
  action: string;
}

/** One `writeStatus` call. */
export interface StatusWrite {
  name: string;
  conditions: ConditionInput[];
  action?: ActionChange;
}

// In-process state changes within a turn or two: probe it every millisecond.
const EVERY_MS = { intervalMs: 1 };

/** Keeps GPUs and conditions in memory with the semantics the server store gives. */
export class MemoryWriter implements GpuStateWriter {
  readonly gpus = new Map<string, StoredGpu>();
  readonly writes: StatusWrite[] = [];

  ensureGpu(name: string, spec: GpuSpec): Promise<void> {
    const existing = this.gpus.get(name);
    if (existing !== undefined && existing.spec.uuid !== spec.uuid) {
      return Promise.reject(new Error(`Cannot create GPU ${name}: exists with another uuid`));
    }
    if (existing === undefined) {
      this.gpus.set(name, { spec: { ...spec }, conditions: new Map(), action: "" });
    }
    return Promise.resolve();
  }

  writeStatus(name: string, conditions: ConditionInput[], action?: ActionChange): Promise<boolean> {
    const gpu = this.gpus.get(name);
    if (gpu === undefined) return Promise.reject(new Error(`Cannot write status: no GPU ${name}`));
    this.writes.push({
      name,
      conditions: conditions.map((c) => ({ ...c })),
      action: action && { ...action },
    });
    for (const c of conditions) gpu.conditions.set(c.type, { ...c, owner: NVML_PROVIDER_NAME });
    if (action === undefined) return Promise.resolve(true);
    gpu.action = mergeAction(gpu.action, action.mine, action.lastWritten) ?? gpu.action;
    return Promise.resolve(gpu.action === action.mine);
  }

  /** A condition of a GPU, or undefined. */
  condition(name: string, type: string): StoredCondition | undefined {
    return this.gpus.get(name)?.conditions.get(type);
  }

  /** Resolves once the GPU's condition of `type` has the given status and reason. */
  async waitFor(name: string, type: string, status: string, reason: string): Promise<void> {
    await until(
      `${type}=${status} (${reason}) on ${name}`,
      () =>
        this.condition(name, type)?.status === status &&
        this.condition(name, type)?.reason === reason,
      EVERY_MS,
    );
  }

  /** Resolves once the GPU's recommended action is `action`. */
  async waitForAction(name: string, action: string): Promise<void> {
    await until(
      `action ${action} on ${name}`,
      () => this.gpus.get(name)?.action === action,
      EVERY_MS,
    );
  }

  /** The NVMLReady condition of a GPU, or undefined. */
  ready(name: string): StoredCondition | undefined {
    return this.gpus.get(name)?.conditions.get("NVMLReady");
  }

  /** Number of NVMLReady writes for one GPU (the signal poller writes other types). */
  writesFor(name: string): number {
    return this.writes.filter((w) =>
      w.name === name && w.conditions.some((c) => c.type === "NVMLReady")
    ).length;
  }

  /** Resolves once the GPU's NVMLReady condition has the given status and reason. */
  async waitForReady(name: string, status: string, reason: string): Promise<void> {
    await until(
      `NVMLReady=${status} (${reason}) on ${name}`,
      () => this.ready(name)?.status === status && this.ready(name)?.reason === reason,
      EVERY_MS,
    );
  }
}

/** One captured log line. */
export interface LogLine {
  level: "info" | "error" | "v";
  msg: string;
  kv: unknown[];
  err?: unknown;
}

/** A logger that keeps every line, for assertions. */
export class CaptureLogger implements NvmlLogger {
  readonly lines: LogLine[] = [];

  info(msg: string, ...kv: unknown[]): void {
    this.lines.push({ level: "info", msg, kv });
  }

  error(err: unknown, msg: string, ...kv: unknown[]): void {
    this.lines.push({ level: "error", msg, kv, err });
  }

  V(_level: number): { info(msg: string, ...kv: unknown[]): void } {
    return { info: (msg, ...kv) => this.lines.push({ level: "v", msg, kv }) };
  }

  /** Whether some line's message contains `text`. */
  has(text: string): boolean {
    return this.lines.some((l) => l.msg.includes(text));
  }
}
