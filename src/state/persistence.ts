/**
 * The state directory at work: restore at start (the checkpoint, then the
 * journal's records), a journal record or a checkpoint per coalescing
 * interval while running (state_writer.ts), a last checkpoint at a graceful
 * stop, and the version high-water mark.
 *
 * @module
 */
import { join } from "node:path";
import type { Registry } from "prom-client";
import { type GpuStore, InvalidArgumentError } from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import type { PersistedProvider } from "../providers/mod.ts";
import { readFileIfExists } from "./atomic_file.ts";
import { checkpointBudget, journalBudget } from "./budget.ts";
import { decodeCheckpoint, type DecodedCheckpoint } from "./checkpoint_format.ts";
import { Checkpointer } from "./checkpointer.ts";
import { decodeJournal, type JournalRecord } from "./journal_format.ts";
import { createStateMetrics, type StateMetrics } from "./metrics.ts";
import { CheckpointError } from "./record_codec.ts";
import { replay, type Replayed } from "./replay.ts";
import { CHECKPOINT_FILE, JOURNAL_FILE, StateWriter } from "./state_writer.ts";
import { clockVersion, seedVersion, VERSION_MARK_FILE, VersionMark } from "./version_mark.ts";

export { CHECKPOINT_FILE, JOURNAL_FILE } from "./state_writer.ts";

/**
 * Shortest time between two state writes (journal appends or checkpoints):
 * the coalescing interval. Not a round 100 ms: a provider that writes ten
 * times a second would phase-lock with it, each change coming just after a
 * write started on the interval's timer, so that each waited nearly a whole
 * interval on a timer of its own and was appended after the event loop went
 * idle, waking it twice more per change. A shorter interval lets such a
 * provider's changes drift back to starting their writes at once
 * (docs/performance.md, "What each change paid").
 */
export const CHECKPOINT_INTERVAL_MS = 90;

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
  readonly #journalBudget: number;
  #mark: VersionMark | undefined;
  #checkpointer: Checkpointer | undefined;
  #writer: StateWriter | undefined;
  #restoring: string | null = "the state directory is not read yet";
  #lastErrorLog = -Infinity;

  /** Creates the persistence; nothing is read before {@linkcode StatePersistence.restore}. */
  constructor(options: StatePersistenceOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#metrics = createStateMetrics(options.registry);
    this.#budget = checkpointBudget(options.store.limits);
    this.#journalBudget = journalBudget(options.store.limits);
  }

  /** The most bytes a checkpoint takes. */
  get budget(): number {
    return this.#budget;
  }

  /** Readiness check: fails until the state is restored (or known to be absent). */
  readonly readinessCheck = (): string | null => this.#restoring;

  /**
   * Loads the checkpoint and the journal's records into the empty store,
   * reserves versions above them and above the clock, and starts writing.
   * An unusable checkpoint is moved aside and the store starts empty; an
   * unusable journal is moved aside and the checkpoint alone is used; a directory that cannot be
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
      this.#writer = undefined;
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
    const checkpoint = await this.#loadCheckpoint();
    const records = checkpoint ? await this.#loadJournal(checkpoint) : [];
    let replayed = checkpoint ? await this.#replay(checkpoint, records) : null;
    const mark = Math.max(persisted.mark, replayed?.mark ?? 0);
    const next = seedVersion(clock, mark);
    let restored: { gpus: number; events: number; journalEvents: number } | null = null;
    while (replayed && !restored) {
      try {
        store.restoreState(replayed.state, next); // validates before it changes anything
        this.#options.providers.restoreProviders(replayed.providers);
        restored = {
          gpus: store.size,
          events: replayed.state.history.length,
          journalEvents: replayed.journalEvents,
        };
      } catch (err) {
        if (!(err instanceof InvalidArgumentError)) throw err;
        if (replayed.journalEvents > 0) {
          // The journal broke a rule: the checkpoint alone may still be good.
          this.#metrics.journalLoadFailed("invalid");
          await this.#moveAside(JOURNAL_FILE, `invalid: ${err.message}`);
          replayed = await this.#replay(checkpoint!, []);
        } else {
          this.#metrics.loadFailed("invalid");
          await this.#moveAside(CHECKPOINT_FILE, `invalid: ${err.message}`);
          replayed = null;
        }
      }
    }
    if (!restored) {
      // No usable checkpoint: an empty store whose versions start at `next`.
      const v = next - 1;
      store.restoreState({ version: v, completeAfter: v, gpus: [], history: [] }, next);
      restored = { gpus: 0, events: 0, journalEvents: 0 };
    }
    this.#mark = new VersionMark(dir, mark, (err) => this.#writeFailed(err, "version mark"));
    // Durable before anything is served: no version handed out can be reused.
    await this.#mark.reserve(next);
    const versionMark = this.#mark;
    this.#writer = new StateWriter({
      dir,
      store,
      providers: () => this.#options.providers.exportProviders(),
      mark: () => versionMark.value,
      checkpointBudget: this.#budget,
      journalBudget: this.#journalBudget,
      metrics: this.#metrics,
      onSyncError: (err) => {
        this.#writeFailed(err, "journal flush");
        this.#checkpointer?.schedule(); // the retry: a checkpoint (see StateWriter)
      },
    });
    const writer = this.#writer;
    this.#checkpointer = new Checkpointer({
      intervalMs: this.#options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      write: () => writer.write(),
      onError: (err) => this.#writeFailed(err, "checkpoint or journal"),
    });
    // The first write is a checkpoint of what was restored, with a new journal.
    this.#checkpointer.schedule();
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
      "journalEvents",
      restored.journalEvents,
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
    // A graceful stop leaves a checkpoint and an empty journal: the next start reads one file.
    this.#writer?.compactNext();
    if (this.#writer?.journalRecords) this.#checkpointer?.schedule();
    await this.#checkpointer?.close();
    this.#writer?.close();
    await this.#mark?.flushed();
  }

  // Reads and decodes the checkpoint; null when absent or unusable (moved aside).
  async #loadCheckpoint(): Promise<DecodedCheckpoint | null> {
    const bytes = await this.#read(CHECKPOINT_FILE, (p) => this.#metrics.loadFailed(p));
    if (bytes === null) return null;
    try {
      if (bytes.length > this.#budget) throw tooLarge(bytes.length, this.#budget);
      return decodeCheckpoint(bytes);
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      await this.#reject(CHECKPOINT_FILE, err);
      return null;
    }
  }

  // Reads the journal's records that extend `checkpoint`: none when there is
  // no journal, it extends another checkpoint, or it is unusable (moved aside).
  async #loadJournal(checkpoint: DecodedCheckpoint): Promise<JournalRecord[]> {
    const bytes = await this.#read(JOURNAL_FILE, (p) => this.#metrics.journalLoadFailed(p));
    if (bytes === null) return [];
    try {
      if (bytes.length > this.#journalBudget) throw tooLarge(bytes.length, this.#journalBudget);
      const decoded = decodeJournal(bytes, {
        version: checkpoint.meta.version,
        crc: checkpoint.crc,
      });
      if (decoded.stale) {
        // A crash after a checkpoint and before its new journal: the checkpoint holds it all.
        this.#metrics.journalLoadFailed("stale");
        this.#log.info(
          "Ignoring a journal left from an older checkpoint",
          "journalBaseVersion",
          decoded.base.version,
          "checkpointVersion",
          checkpoint.meta.version,
        );
        return [];
      }
      if (decoded.tornTail !== null) {
        // A crash in the middle of an append: what precedes it is whole and used.
        this.#metrics.journalLoadFailed("torn_tail");
        this.#log.error(
          new Error(decoded.tornTail),
          "The journal ends in a partial record (a crash while appending); using the records before it",
          "records",
          decoded.records.length,
        );
      }
      return decoded.records;
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      await this.#reject(JOURNAL_FILE, err);
      return [];
    }
  }

  // The checkpoint with the journal replayed onto it; the checkpoint alone
  // when the journal does not decode (moved aside); null when neither does.
  async #replay(checkpoint: DecodedCheckpoint, records: JournalRecord[]): Promise<Replayed | null> {
    try {
      return replay(checkpoint, records, this.#options.store.limits);
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      if (records.length > 0) {
        await this.#reject(JOURNAL_FILE, err);
        return await this.#replay(checkpoint, []);
      }
      await this.#reject(CHECKPOINT_FILE, err);
      return null;
    }
  }

  // A state file's bytes, or null when absent or unreadable (moved aside).
  async #read(
    name: string,
    count: (problem: "unreadable") => void,
  ): Promise<Uint8Array | null> {
    try {
      return await readFileIfExists(join(this.#options.dir, name));
    } catch (err) {
      count("unreadable");
      await this.#moveAside(name, `unreadable: ${(err as Error).message}`);
      return null;
    }
  }

  #writeFailed(err: unknown, what: string): void {
    this.#metrics.writeFailed();
    // One line per ten seconds at most: a full disk must not flood the log.
    if (performance.now() - this.#lastErrorLog < 10_000) return;
    this.#lastErrorLog = performance.now();
    this.#log.error(err, `Cannot write the ${what}; retrying`, "dir", this.#options.dir);
  }

  // Counts a state file that cannot be used, by its reason, and moves it aside.
  async #reject(name: string, err: CheckpointError): Promise<void> {
    if (name === JOURNAL_FILE) this.#metrics.journalLoadFailed(err.problem);
    else this.#metrics.loadFailed(err.problem);
    await this.#moveAside(name, `${err.problem}: ${err.message}`);
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

function tooLarge(bytes: number, budget: number): CheckpointError {
  return new CheckpointError(
    "too_large",
    `${bytes} bytes, over the budget of ${budget} for the configured limits`,
  );
}
