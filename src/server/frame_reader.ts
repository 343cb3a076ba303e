/**
 * Follows the HTTP/2 frames of a client's byte stream, chunk by chunk, as a
 * connection reads them: the client preface, then each frame's 9-byte header
 * and its payload (RFC 9113, sections 3.4 and 4.1). A header or a payload
 * may be split across chunks anywhere. Pure logic, no I/O: the connection's
 * filters (`goaway_filter.ts`, `held_bytes.ts`) each drive a reader
 * with the chunks of `accept.ts`.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameReader } from "./frame_reader.ts";
 *
 * const types: number[] = [];
 * const reader = new FrameReader({ header: (h) => types.push(h.type) });
 * reader.scan(new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
 * reader.scan(Uint8Array.of(0, 0, 0, 0x4, 0, 0, 0, 0, 0)); // an empty SETTINGS frame
 * assert.deepEqual(types, [0x4]);
 * ```
 *
 * @module
 */

/** The HTTP/2 client connection preface, in bytes (RFC 9113, section 3.4). */
export const CLIENT_PREFACE_LENGTH = 24;

/** Bytes of a frame header. */
export const FRAME_HEADER_LENGTH = 9;

/** Offset of the type byte in a frame header. */
export const TYPE_OFFSET = 3;

/** A frame header. The reader reuses one object: copy what must outlive the call. */
export interface FrameHeader {
  /** Payload bytes that follow the header. */
  length: number;
  type: number;
  flags: number;
  /** Stream identifier (the reserved bit cleared). */
  streamId: number;
}

/** What a {@linkcode FrameReader} tells as it reads. Every callback is optional. */
export interface FrameVisitor {
  /** The type byte of a frame, at `chunk[index]`, before the rest of its header: may be rewritten in place. */
  typeByte?(chunk: Uint8Array, index: number): void;
  /** A whole frame header, before its payload. */
  header?(header: FrameHeader): void;
  /** The next payload bytes of the current frame: `chunk[start..end)`. */
  payload?(chunk: Uint8Array, start: number, end: number): void;
  /** The current frame's payload is over (at once for an empty one). */
  end?(): void;
}

/**
 * Reads one connection's client-to-server bytes frame by frame. Costs a few
 * operations per header byte; payloads are handed over as ranges, not copied.
 */
export class FrameReader {
  readonly #visitor: FrameVisitor;
  #preface = CLIENT_PREFACE_LENGTH; // preface bytes still to pass
  #payload = 0; // payload bytes of the current frame still to pass
  #headerByte = 0; // header bytes seen of the next frame (0 to 8)
  readonly #header: FrameHeader = { length: 0, type: 0, flags: 0, streamId: 0 };

  /** Creates a reader at the start of a connection. */
  constructor(visitor: FrameVisitor) {
    this.#visitor = visitor;
  }

  /** Reads the next bytes of the connection, in order. */
  scan(chunk: Uint8Array): void {
    const v = this.#visitor;
    const h = this.#header;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.#preface > 0) {
        const step = Math.min(this.#preface, n - i);
        this.#preface -= step;
        i += step;
        continue;
      }
      if (this.#payload > 0) {
        const end = Math.min(n, i + this.#payload);
        v.payload?.(chunk, i, end);
        this.#payload -= end - i;
        i = end;
        if (this.#payload === 0) v.end?.();
        continue;
      }
      const byte = chunk[i]!;
      const at = this.#headerByte;
      if (at < TYPE_OFFSET) {
        h.length = (at === 0 ? 0 : h.length * 256) + byte;
      } else if (at === TYPE_OFFSET) {
        v.typeByte?.(chunk, i);
        h.type = chunk[i]!;
      } else if (at === TYPE_OFFSET + 1) {
        h.flags = byte;
      } else {
        h.streamId = at === TYPE_OFFSET + 2 ? byte & 0x7f : h.streamId * 256 + byte;
      }
      i++;
      if (++this.#headerByte === FRAME_HEADER_LENGTH) {
        this.#headerByte = 0;
        this.#payload = h.length;
        v.header?.(h);
        if (h.length === 0) v.end?.();
      }
    }
  }
}
