/**
 * One GPU's NVML-owned conditions and recommended action, and their publication. The event
 * monitor and the signal poller both feed it; it writes only what changed, one GPU at a time.
 *
 * @module
 */

import { mostSevere } from "./actions.ts";
import { callTimeoutCondition, NVML_CONDITION_TYPE } from "./health_policy.ts";
import type { NvmlLogger } from "./logger.ts";
import type { ConditionInput, GpuStateWriter } from "./writer.ts";

interface Desired {
  condition: ConditionInput;
  /** Recommended action while this condition stands; "" for none. */
  action: string;
}

function same(a: ConditionInput | undefined, b: ConditionInput): boolean {
  return a !== undefined && a.status === b.status && a.reason === b.reason &&
    a.message === b.message;
}

/** A GPU's NVML conditions: what they should be, and what was written. */
export class GpuRecord {
  readonly name: string;
  #writer: GpuStateWriter;
  #logger: NvmlLogger;
  #desired = new Map<string, Desired>();
  #hung: string | undefined;
  #written = new Map<string, ConditionInput>();
  #dirty = new Set<string>();
  #actionWritten = "";
  #chain: Promise<void> = Promise.resolve();

  constructor(name: string, writer: GpuStateWriter, logger: NvmlLogger) {
    this.name = name;
    this.#writer = writer;
    this.#logger = logger;
  }

  /**
   * Sets one condition and its action.
   *
   * @param force Write it even when unchanged: an operator may have cleared or overridden what
   *   the provider wrote last, so a repeated event must reach the store again.
   */
  set(condition: ConditionInput, action = "", force = false): void {
    const before = this.#desired.get(condition.type);
    this.#desired.set(condition.type, { condition, action });
    if (force || before === undefined || !same(before.condition, condition)) {
      this.#dirty.add(condition.type);
    }
  }

  /** The `NVMLReady` condition from events and probes, under any hung-call overlay. */
  get ready(): ConditionInput | undefined {
    return this.#desired.get(NVML_CONDITION_TYPE)?.condition;
  }

  /** Whether an NVML call about this GPU is hung (NVMLReady shows Unknown meanwhile). */
  get hung(): boolean {
    return this.#hung !== undefined;
  }

  /**
   * Marks the GPU's NVML calls hung (`NVMLReady` Unknown, `NVMLCallTimeout`) or answering again
   * (the condition from events comes back).
   *
   * @param why The timeout's message, or undefined when NVML answers again.
   */
  setHung(why: string | undefined): void {
    if (why === this.#hung) return;
    if ((why === undefined) !== (this.#hung === undefined)) this.#dirty.add(NVML_CONDITION_TYPE);
    this.#hung = why;
  }

  /** The most severe action among the GPU's active problems; "" when none. */
  get action(): string {
    // A hung GPU keeps the actions of its problems: nothing says they went away.
    return mostSevere([...this.#desired.values()].map((d) => d.action));
  }

  /** Writes what changed, conditions and recommended action together, in one write. */
  publish(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#publish());
    return this.#chain;
  }

  async #publish(): Promise<void> {
    const changed: ConditionInput[] = [];
    for (const type of this.#dirty) {
      const desired = this.#desired.get(type);
      if (desired === undefined) continue;
      const condition = type === NVML_CONDITION_TYPE && this.#hung !== undefined
        ? callTimeoutCondition(this.#hung)
        : desired.condition;
      changed.push(condition);
    }
    this.#dirty.clear();
    const mine = this.action;
    const action = mine === this.#actionWritten
      ? undefined
      : { mine, lastWritten: this.#actionWritten };
    if (changed.length === 0 && action === undefined) return;
    try {
      const shown = await this.#writer.writeStatus(this.name, changed, action);
      for (const c of changed) this.#written.set(c.type, c);
      if (action !== undefined && shown) this.#actionWritten = mine;
    } catch (err) {
      // Written again at the next change; the types stay dirty until then.
      for (const c of changed) this.#dirty.add(c.type);
      this.#logger.error(err, "Cannot write NVML conditions", "gpu", this.name);
    }
  }

  /** What was last written for a condition type. */
  written(type: string): ConditionInput | undefined {
    return this.#written.get(type);
  }
}
