/**
 * The state directory at work: restore at start, checkpoint while running,
 * a last checkpoint at a graceful stop, and the version high-water mark.
 *
 * @module
 */
import { join } from "node:path";
import type { Registry } from "prom-client";
import { decodeGpu } from "../api/mod.ts";
import { type GpuStore, InvalidArgumentError, type RestoredState } from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import type { PersistedProvider } from "../providers/mod.ts";
import { readFileIfExists, writeFileAtomic } from "./atomic_file.ts";
import { checkpointBudget } from "./budget.ts";
import {
  CheckpointError,
  type CheckpointMeta,
  decodeCheckpoint,
  encodeCheckpoint,
} from "./checkpoint_format.ts";
import { Checkpointer } from "./checkpointer.ts";
import { createStateMetrics, type StateMetrics } from "./metrics.ts";
import { clockVersion, seedVersion, VERSION_MARK_FILE, VersionMark } from "./version_mark.ts";

/** File name of the checkpoint in the state directory. */
export const CHECKPOINT_FILE = "checkpoint.bin";

/** Shortest time between two checkpoints. */
export const CHECKPOINT_INTERVAL_MS = 100;

/** The provider registry as persistence sees it; ProviderLeases is one. */
export interface ProviderState {
  exportProviders(): PersistedProvider[];
  restoreProviders(providers: readonly PersistedProvider[]): void;
}

/** Options of {@linkcode StatePersistence}. */
export interface StatePersistenceOptions {
  /** The state directory; "" keeps nothing across restarts. */
  dir: string;
  store: GpuStore;
  providers: ProviderState;
  logger: Logger;
  /** Registry for the checkpoint metrics. */
  registry: Registry;
  /** Shortest time between two checkpoints (default {@linkcode CHECKPOINT_INTERVAL_MS}). */
  intervalMs?: number;
  /** Wall clock in milliseconds (default `Date.now`): versions start above it. */
  now?: () => number;
}

/** Restores the store from the state directory and keeps a checkpoint of it there. */
export class StatePersistence {
  readonly #options: StatePersistenceOptions;
  readonly #log: Logger;
  readonly #metrics: StateMetrics;
  readonly #budget: number;
  #mark: VersionMark | undefined;
  #checkpointer: Checkpointer | undefined;
  #restoring: string | null = "the state directory is not read yet";
  #lastErrorLog = -Infinity;

  /** Creates the persistence; nothing is read before {@linkcode StatePersistence.restore}. */
  constructor(options: StatePersistenceOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#metrics = createStateMetrics(options.registry);
    this.#budget = checkpointBudget(options.store.limits);
  }

  /** The most bytes a checkpoint takes. */
  get budget(): number {
    return this.#budget;
  }

  /** Readiness check: fails until the state is restored (or known to be absent). */
  readonly readinessCheck = (): string | null => this.#restoring;

  /**
   * Loads the checkpoint into the empty store, reserves versions above it
   * and above the clock, and starts checkpointing. An unusable checkpoint is
   * moved aside and the store starts empty; a directory that cannot be
   * created or written is logged and counted, and the server runs without
   * persistence rather than not at all.
   */
  async restore(): Promise<void> {
    try {
      await this.#restore();
    } catch (err) {
      this.#metrics.loadFailed("unreadable");
      this.#log.error(
        err,
        "Cannot use the state directory; running without persistence",
        "dir",
        this.#options.dir,
      );
      this.#checkpointer = undefined;
      this.#mark = undefined;
      this.#restoring = null;
    }
  }

  async #restore(): Promise<void> {
    const { dir, store } = this.#options;
    const clock = clockVersion((this.#options.now ?? Date.now)());
    if (dir === "") {
      this.#log.info(
        "No state directory: GPUs, history and the version mark are not kept across restarts",
      );
      this.#restoring = null;
      return;
    }
    this.#restoring = "restoring the checkpoint";
    const started = performance.now();
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const persisted = await VersionMark.read(dir);
    if (persisted.problem) await this.#moveAside(VERSION_MARK_FILE, persisted.problem);
    const loaded = await this.#load();
    const mark = Math.max(persisted.mark, loaded?.meta.mark ?? 0);
    const next = seedVersion(clock, mark);
    let restored: { gpus: number; events: number } | null = null;
    if (loaded) {
      try {
        store.restoreState(loaded.state, next); // validates before it changes anything
        this.#options.providers.restoreProviders(loaded.meta.providers);
        restored = { gpus: store.size, events: loaded.state.history.length };
      } catch (err) {
        if (!(err instanceof InvalidArgumentError)) throw err;
        this.#metrics.loadFailed("invalid");
        await this.#moveAside(CHECKPOINT_FILE, `invalid: ${err.message}`);
      }
    }
    if (!restored) {
      // No usable checkpoint: an empty store whose versions start at `next`.
      const v = next - 1;
      store.restoreState({ version: v, completeAfter: v, gpus: [], history: [] }, next);
      restored = { gpus: 0, events: 0 };
    }
    this.#mark = new VersionMark(dir, mark, (err) => this.#writeFailed(err, "version mark"));
    // Durable before anything is served: no version handed out can be reused.
    await this.#mark.reserve(next);
    this.#checkpointer = new Checkpointer({
      intervalMs: this.#options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      write: () => this.#write(),
      onError: (err) => this.#writeFailed(err, "checkpoint"),
    });
    const seconds = (performance.now() - started) / 1000;
    this.#metrics.restored(restored.gpus, restored.events, seconds);
    this.#log.info(
      "Restored state",
      "dir",
      dir,
      "gpus",
      restored.gpus,
      "events",
      restored.events,
      "resourceVersion",
      store.resourceVersion,
      "nextVersion",
      next,
      "duration",
      `${Math.round(seconds * 1000)}ms`,
    );
    this.#restoring = null;
  }

  /** Store hook: a committed write (its version) makes the checkpoint dirty. */
  onCommit(version: number): void {
    this.#mark?.observe(version);
    this.#checkpointer?.schedule();
  }

  /** Provider hook: a registration or an unregistration makes the checkpoint dirty. */
  onProvidersChanged(): void {
    this.#checkpointer?.schedule();
  }

  /** Writes the last checkpoint (graceful stop) and waits for the version mark. */
  async close(): Promise<void> {
    await this.#checkpointer?.close();
    await this.#mark?.flushed();
  }

  // Reads and decodes the checkpoint; null when absent or unusable (moved aside).
  async #load(): Promise<{ meta: CheckpointMeta; state: RestoredState } | null> {
    let bytes: Uint8Array | null;
    try {
      bytes = await readFileIfExists(join(this.#options.dir, CHECKPOINT_FILE));
    } catch (err) {
      this.#metrics.loadFailed("unreadable");
      await this.#moveAside(CHECKPOINT_FILE, `unreadable: ${(err as Error).message}`);
      return null;
    }
    if (bytes === null) return null;
    try {
      if (bytes.length > this.#budget) {
        throw new CheckpointError(
          "too_large",
          `${bytes.length} bytes, over the budget of ${this.#budget} for the configured limits`,
        );
      }
      const decoded = decodeCheckpoint(bytes);
      const gpus = decoded.gpus.map((b) => decodeOrThrow(b));
      const history = decoded.events.map((e) => {
        const gpu = decodeOrThrow(e.gpuBytes);
        const previousLabels = e.previousLabels === "same" ? gpu.metadata.labels : e.previousLabels;
        return { type: e.type, gpu, previousLabels };
      });
      const { version, completeAfter } = decoded.meta;
      return { meta: decoded.meta, state: { version, completeAfter, gpus, history } };
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      this.#metrics.loadFailed(err.problem);
      await this.#moveAside(CHECKPOINT_FILE, `${err.problem}: ${err.message}`);
      return null;
    }
  }

  async #write(): Promise<void> {
    const started = performance.now();
    const state = this.#options.store.exportState(); // synchronous: a consistent capture
    const { chunks } = await encodeCheckpoint(
      {
        version: state.version,
        completeAfter: state.completeAfter,
        mark: this.#mark?.value ?? 0,
        savedAtMs: Date.now(),
        providers: this.#options.providers.exportProviders(),
      },
      state.gpus.map((g) => g.bytes),
      state.history,
      this.#budget,
      // Between buffers, requests run: a large checkpoint never holds the event loop long.
      () => new Promise((resolve) => setTimeout(resolve, 0)),
    );
    const bytes = await writeFileAtomic(this.#options.dir, CHECKPOINT_FILE, chunks);
    this.#metrics.written(bytes, (performance.now() - started) / 1000);
  }

  #writeFailed(err: unknown, what: string): void {
    this.#metrics.writeFailed();
    // One line per ten seconds at most: a full disk must not flood the log.
    if (performance.now() - this.#lastErrorLog < 10_000) return;
    this.#lastErrorLog = performance.now();
    this.#log.error(err, `Cannot write the ${what}; retrying`, "dir", this.#options.dir);
  }

  // Keeps an unusable file for inspection, out of the way of the next start.
  async #moveAside(name: string, reason: string): Promise<void> {
    const from = join(this.#options.dir, name);
    const to = `${from}.bad-${new Date().toISOString().replaceAll(":", "")}`;
    await Deno.rename(from, to);
    this.#log.error(
      new Error(reason),
      "Cannot use a state file; moved it aside and starting without it",
      "file",
      from,
      "movedTo",
      to,
    );
  }
}

function decodeOrThrow(bytes: Uint8Array) {
  try {
    return decodeGpu(bytes);
  } catch (err) {
    throw new CheckpointError("malformed", `an object does not decode: ${(err as Error).message}`);
  }
}
