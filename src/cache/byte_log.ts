/**
 * An append-only log of byte strings, kept in large shared chunks and
 * released oldest first. The watch history copies each event's encoding in
 * here, so that ten thousand events cost a few chunks instead of a buffer
 * and a view object each: the garbage collector marks the live heap on every
 * full collection, and under a steady stream of writes those objects made
 * each one longer and brought the next one sooner (docs/performance.md,
 * item 22).
 *
 * @example
 * ```ts
 * import { ByteLog } from "./byte_log.ts";
 *
 * const log = new ByteLog(16);
 * const at = log.append(new Uint8Array([1, 2, 3]));
 * console.log(log.view(at, 3)); // Uint8Array(3) [ 1, 2, 3 ]
 * log.releaseBefore(at + 3); // nothing older than this offset is read again
 * ```
 *
 * @module
 */

/** Chunk size: a few dozen typical events each, and few chunks in a full history. */
export const BYTE_LOG_CHUNK_BYTES = 64 * 1024;

/** Byte strings appended at growing offsets, read back by offset, released from the front. */
export class ByteLog {
  readonly #chunkBytes: number;
  // The chunks held, oldest first, and the offset of each one's first byte. A chunk's unused
  // tail is skipped: the next chunk starts at the offset the next append gets.
  readonly #chunks: Uint8Array[] = [];
  readonly #starts: number[] = [];
  #end = 0; // the offset of the next append
  #held = 0;

  /** Creates an empty log that allocates chunks of `chunkBytes` (larger for a larger string). */
  constructor(chunkBytes: number = BYTE_LOG_CHUNK_BYTES) {
    this.#chunkBytes = Math.max(1, chunkBytes);
  }

  /** Bytes of the chunks the log holds. */
  get heldBytes(): number {
    return this.#held;
  }

  /** The offset the next append gets. */
  get end(): number {
    return this.#end;
  }

  /** Copies `bytes` to the end of the log; their offset reads them back. */
  append(bytes: Uint8Array): number {
    const last = this.#chunks.length - 1;
    const offset = this.#end;
    if (last < 0 || offset + bytes.length > this.#starts[last]! + this.#chunks[last]!.length) {
      const chunk = new Uint8Array(Math.max(this.#chunkBytes, bytes.length));
      this.#chunks.push(chunk);
      this.#starts.push(offset);
      this.#held += chunk.length;
    }
    const i = this.#chunks.length - 1;
    this.#chunks[i]!.set(bytes, offset - this.#starts[i]!);
    this.#end = offset + bytes.length;
    return offset;
  }

  /**
   * The `length` bytes appended at `offset`, as a view (no copy). The view
   * stays valid after the log releases them: it keeps its chunk alive.
   */
  view(offset: number, length: number): Uint8Array {
    // The last chunk that starts at or before the offset holds it.
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const at = offset - this.#starts[lo]!;
    return this.#chunks[lo]!.subarray(at, at + length);
  }

  /**
   * Lets go of every chunk that holds only bytes before `offset`, except the
   * one the next append writes to.
   */
  releaseBefore(offset: number): void {
    let drop = 0;
    while (drop < this.#chunks.length - 1 && this.#starts[drop + 1]! <= offset) {
      this.#held -= this.#chunks[drop]!.length;
      drop++;
    }
    if (drop === 0) return;
    this.#chunks.splice(0, drop);
    this.#starts.splice(0, drop);
  }
}
