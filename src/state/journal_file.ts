/**
 * The journal on disk: started afresh (atomically, with only its header)
 * after each checkpoint, then appended to, one record per coalescing
 * interval, and flushed with fdatasync when the writer asks (state_writer.ts
 * flushes at most once per sync interval).
 *
 * @module
 */
import { join } from "node:path";
import { writeChunks, writeFileAtomic } from "./atomic_file.ts";
import { encodeJournalHeader, type JournalBase } from "./journal_format.ts";

/** An open journal, appended to by one writer at a time. */
export class JournalFile {
  readonly #file: Deno.FsFile;
  #size: number;
  #records = 0;
  #synced = 0; // records known to be on the disk

  private constructor(file: Deno.FsFile, size: number) {
    this.#file = file;
    this.#size = size;
  }

  /**
   * Replaces `dir/name` with an empty journal that extends `base` (the
   * checkpoint just written) and opens it for appending.
   */
  static async create(dir: string, name: string, base: JournalBase): Promise<JournalFile> {
    const size = await writeFileAtomic(dir, name, [encodeJournalHeader(base)]);
    const file = await Deno.open(join(dir, name), { write: true, append: true });
    return new JournalFile(file, size);
  }

  /** Bytes in the journal, its header included. */
  get size(): number {
    return this.#size;
  }

  /** Records appended since the journal was started. */
  get records(): number {
    return this.#records;
  }

  /** Whether records were appended since the last {@linkcode JournalFile.sync}. */
  get unsynced(): boolean {
    return this.#synced < this.#records;
  }

  /**
   * Appends one record's buffers; resolves once they are in the file (the
   * page cache: a crash of the process no longer loses them, a crash of the
   * node may until {@linkcode JournalFile.sync}). After a failure the journal
   * may end in a partial record: the caller starts a new one instead of
   * appending more.
   */
  async append(chunks: readonly Uint8Array[]): Promise<number> {
    const bytes = await writeChunks(this.#file, chunks);
    this.#size += bytes;
    this.#records++;
    return bytes;
  }

  /** Flushes the records appended so far to the disk (fdatasync); resolves once they are durable. */
  async sync(): Promise<void> {
    const records = this.#records;
    await this.#file.syncData();
    this.#synced = Math.max(this.#synced, records);
  }

  /** Closes the file (what was appended stays). */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // Already closed: nothing to release.
    }
  }
}
