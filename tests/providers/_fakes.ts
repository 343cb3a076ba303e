/**
 * Fakes for the lease tests: a clock with timers that fire only when the
 * test advances time, and a logger that records what it was told.
 *
 * @module
 */
import type { Logger, VerboseLogger } from "../../src/logging/mod.ts";
import type { LeaseTimers } from "../../src/providers/mod.ts";

/** A manual clock and the one-shot timers scheduled on it. */
export class FakeTime implements LeaseTimers {
  now: number;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;

  /** Starts the clock at `start` milliseconds. */
  constructor(start = 1_700_000_000_000) {
    this.now = start;
  }

  /** Schedules a callback `delayMs` from now. */
  set(callback: () => void, delayMs: number): number {
    const handle = this.#next++;
    this.#timers.set(handle, { at: this.now + delayMs, callback });
    return handle;
  }

  /** Cancels a timer. */
  clear(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Times at which pending timers fire, earliest first. */
  get pending(): number[] {
    return [...this.#timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }

  /** Moves the clock forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    while (true) {
      const due = [...this.#timers.entries()].filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.now = Math.max(this.now, due[1].at);
      due[1].callback();
    }
    this.now = end;
  }
}

/** One recorded log call. */
export interface LogLine {
  level: "info" | "warning" | "error";
  msg: string;
  kv: Record<string, unknown>;
  err?: unknown;
}

/** A logger that keeps every line (verbose ones included) in `lines`. */
export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const kvOf = (kv: unknown[]) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < kv.length; i += 2) out[String(kv[i])] = kv[i + 1];
    return out;
  };
  const verbose: VerboseLogger = {
    info: (msg, ...kv) => lines.push({ level: "info", msg, kv: kvOf(kv) }),
    enabled: true,
  };
  const logger: Logger & { lines: LogLine[] } = {
    lines,
    info: (msg, ...kv) => lines.push({ level: "info", msg, kv: kvOf(kv) }),
    warning: (msg, ...kv) => lines.push({ level: "warning", msg, kv: kvOf(kv) }),
    error: (err, msg, ...kv) => lines.push({ level: "error", msg, kv: kvOf(kv), err }),
    V: () => verbose,
    enabled: () => true,
    withName: () => logger,
    withValues: () => logger,
  };
  return logger;
}
