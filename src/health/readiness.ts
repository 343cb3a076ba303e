/**
 * Readiness as a list of named checks, Kubernetes style: ready when every
 * check passes; `/readyz?verbose` lists them.
 *
 * @module
 */

/** One readiness check: returns null when it passes, or the reason it fails. */
export type ReadinessCheck = () => string | null;

/** Result of one check. */
export interface CheckResult {
  name: string;
  ok: boolean;
  reason: string;
}

/** The set of readiness checks. */
export class Readiness {
  readonly #checks: [string, ReadinessCheck][] = [];

  /** Adds a named check, evaluated on every probe (checks must be cheap and pure). */
  add(name: string, check: ReadinessCheck): this {
    this.#checks.push([name, check]);
    return this;
  }

  /** Evaluates every check now. */
  evaluate(): { ready: boolean; results: CheckResult[] } {
    const results = this.#checks.map(([name, check]) => {
      const reason = check();
      return { name, ok: reason === null, reason: reason ?? "" };
    });
    return { ready: results.every((r) => r.ok), results };
  }
}

/** Options of {@linkcode gpuGate}. */
export interface GpuGateOptions {
  /** GPUs to wait for; 0 disables the gate. */
  minGpus: number;
  /** Stop waiting this long after `startedAt`; 0 waits without limit. */
  gracePeriodMs: number;
  startedAt: number;
  gpuCount: () => number;
  now?: () => number;
}

/**
 * The opt-in readiness gate: not ready until `minGpus` GPUs are registered or
 * the grace period has passed, so consumers do not act on an empty cache
 * right after a restart.
 */
export function gpuGate(options: GpuGateOptions): ReadinessCheck {
  const now = options.now ?? Date.now;
  return () => {
    if (options.minGpus === 0) return null;
    const count = options.gpuCount();
    if (count >= options.minGpus) return null;
    if (options.gracePeriodMs > 0 && now() - options.startedAt >= options.gracePeriodMs) {
      return null;
    }
    return `waiting for GPUs: ${count} of ${options.minGpus} registered`;
  };
}
