/**
 * What one coalesced write puts on disk: usually one journal record with
 * the changes since the last write, and now and then a full checkpoint
 * that starts a new journal (compaction).
 *
 * Records are flushed to the disk (fdatasync) at most once per sync
 * interval, by the append that comes after the interval has passed or else
 * by a timer at its end: an appended record survives a crash of the process
 * at once, and a crash of the node once the next flush is done. One flush per
 * record cost about 0.4 ms of kernel CPU per append here, most of what the
 * journal cost (docs/operations.md, "Disk use").
 *
 * A checkpoint is written instead of a record at the first write after a
 * start, after a failed write, at a graceful stop, when the record would
 * take the journal past its bound (the larger of 1 MiB and the last
 * checkpoint's size), and when the history in memory no longer holds every
 * event since the last write. The checkpoint is renamed into place durably
 * before the journal is replaced; a crash in between leaves a journal that
 * names the previous checkpoint, which the next start recognises and
 * ignores.
 *
 * @module
 */
import type { GpuStore, StoreState } from "../cache/mod.ts";
import type { PersistedProvider } from "../providers/mod.ts";
import { writeFileAtomic } from "./atomic_file.ts";
import { JOURNAL_MIN_BYTES } from "./budget.ts";
import { encodeCheckpoint } from "./checkpoint_format.ts";
import { JournalFile } from "./journal_file.ts";
import { encodeJournalRecord } from "./journal_format.ts";
import type { StateMetrics } from "./metrics.ts";

/** Longest time an appended journal record waits for its fdatasync (a node crash may lose it until then). */
export const JOURNAL_SYNC_INTERVAL_MS = 1000;

/** File name of the checkpoint in the state directory. */
export const CHECKPOINT_FILE = "checkpoint.bin";

/** File name of the journal in the state directory. */
export const JOURNAL_FILE = "journal.bin";

/** Options of {@linkcode StateWriter}. */
export interface StateWriterOptions {
  dir: string;
  store: Pick<GpuStore, "exportState" | "exportChanges">;
  /** The registered providers to keep. */
  providers: () => PersistedProvider[];
  /** The version high-water mark to keep. */
  mark: () => number;
  /** The most bytes a checkpoint takes. */
  checkpointBudget: number;
  /** The most bytes the journal takes. */
  journalBudget: number;
  metrics: StateMetrics;
  /** Longest time a record waits for its fdatasync (default {@linkcode JOURNAL_SYNC_INTERVAL_MS}). */
  syncIntervalMs?: number;
  /** Reports a failed flush that ran on its own timer (the next write is then a checkpoint). */
  onSyncError?: (err: unknown) => void;
  /** Monotonic clock in milliseconds. */
  now?: () => number;
}

/** Writes the store's changes to the state directory, one call at a time. */
export class StateWriter {
  readonly #options: StateWriterOptions;
  #journal: JournalFile | null = null;
  #compact = true; // the next write is a checkpoint
  #durableVersion = -1; // the version the files on disk hold
  #journalBound = JOURNAL_MIN_BYTES;
  #lastSync = -Infinity; // when the last flush (or checkpoint) started
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #now: () => number;

  /** Creates the writer; its first write is a checkpoint. */
  constructor(options: StateWriterOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Records in the journal since the last checkpoint. */
  get journalRecords(): number {
    return this.#journal?.records ?? 0;
  }

  /** Makes the next write a checkpoint (graceful stop). */
  compactNext(): void {
    this.#compact = true;
  }

  /**
   * Captures the store synchronously and writes what changed; resolves
   * once it is durable. A failure makes the next write a checkpoint.
   */
  async write(): Promise<void> {
    const started = performance.now();
    const { store } = this.#options;
    const journal = this.#journal;
    // Synchronous captures, consistent: null when events since the last
    // write dropped out of the history, which only a checkpoint has then.
    const changes = this.#compact || !journal ? null : store.exportChanges(this.#durableVersion);
    if (!journal || !changes) return await this.#checkpoint(store.exportState(), started);
    const chunks = encodeJournalRecord(this.#meta(changes.version), changes.events);
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    if (journal.size + bytes > this.#journalBound) {
      return await this.#checkpoint(store.exportState(), started);
    }
    try {
      await journal.append(chunks);
      if (this.#now() - this.#lastSync >= this.#syncInterval) await this.#sync(journal);
      else this.#syncLater();
    } catch (err) {
      this.#compact = true; // the journal may end in a partial record: start a new one
      throw err;
    }
    this.#durableVersion = changes.version;
    this.#options.metrics.appended(bytes, (performance.now() - started) / 1000, journal.size);
  }

  /** Closes the journal file (a flush still due is left to the kernel). */
  close(): void {
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    this.#journal?.close();
    this.#journal = null;
  }

  get #syncInterval(): number {
    return this.#options.syncIntervalMs ?? JOURNAL_SYNC_INTERVAL_MS;
  }

  async #sync(journal: JournalFile): Promise<void> {
    this.#lastSync = this.#now();
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    await journal.sync();
    this.#options.metrics.synced();
  }

  // The flush of the records appended since the last one, at the end of the interval.
  #syncLater(): void {
    if (this.#syncTimer !== undefined) return;
    const wait = Math.max(0, this.#lastSync + this.#syncInterval - this.#now());
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      const journal = this.#journal;
      if (!journal?.unsynced) return;
      this.#sync(journal).catch((err) => {
        if (journal !== this.#journal) return; // replaced by a checkpoint meanwhile: nothing lost
        this.#compact = true; // what the disk holds is unknown: start afresh
        this.#options.onSyncError?.(err);
      });
    }, wait);
  }

  // What both files record besides the objects and events, as of `version`.
  #meta(version: number) {
    return {
      version,
      mark: this.#options.mark(),
      savedAtMs: Date.now(),
      providers: this.#options.providers(),
    };
  }

  async #checkpoint(state: StoreState, started: number): Promise<void> {
    this.#compact = true; // until both files are in place
    const { dir, checkpointBudget, metrics } = this.#options;
    const { chunks, meta, crc } = await encodeCheckpoint(
      { ...this.#meta(state.version), completeAfter: state.completeAfter },
      state.gpus.map((g) => g.bytes),
      state.history,
      checkpointBudget,
      // Between buffers, requests run: a large checkpoint never holds the event loop long.
      () => new Promise((resolve) => setTimeout(resolve, 0)),
    );
    const bytes = await writeFileAtomic(dir, CHECKPOINT_FILE, chunks);
    // From here the old journal names the previous checkpoint: a start ignores it.
    this.close();
    this.#journal = await JournalFile.create(dir, JOURNAL_FILE, { version: meta.version, crc });
    this.#lastSync = this.#now(); // both files were flushed by their atomic writes
    this.#durableVersion = state.version;
    this.#journalBound = Math.min(
      this.#options.journalBudget,
      Math.max(JOURNAL_MIN_BYTES, bytes),
    );
    this.#compact = false;
    metrics.written(bytes, (performance.now() - started) / 1000);
  }
}
