/**
 * Keeps a client's GOAWAY frames away from Deno's HTTP/2 layer.
 *
 * Why: in Deno 2.9.6 `node:http2` answers a GOAWAY it receives by closing
 * the session, and a session with no open stream is then destroyed at once,
 * inside nghttp2's callback for that frame. nghttp2 goes on to walk the
 * freed session (`session_close_stream_on_goaway`), and the process aborts
 * in `find_stream_on_goaway_func`, segfaults, or corrupts its heap
 * (denoland/deno#36788). Every well-behaved client sends a GOAWAY when it
 * closes its channel: on this runtime, a client that made about 1,800 calls
 * on one connection and then closed it took the server down, every time.
 *
 * How: HTTP/2 requires a receiver to ignore frames of a type it does not
 * know (RFC 9113, section 4.1). {@linkcode GoawayFilter} follows the
 * client's frames through the byte stream and rewrites the type byte of
 * each GOAWAY, in place, to a type reserved for experimental use, before
 * the session parses it. A client closes its connection after its GOAWAY,
 * so the server learns of the end from the socket instead, outside
 * nghttp2's callbacks. Nothing the server does depends on the frame: it
 * never opens streams of its own, and the error code a client gives is
 * only informational.
 *
 * Pure logic, no I/O: the listeners call {@linkcode GoawayFilter.scan}
 * with each chunk a connection reads (see `accept.ts`).
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { GOAWAY_REPLACEMENT_TYPE, GoawayFilter } from "./goaway_filter.ts";
 *
 * const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
 * // A GOAWAY frame: 8-byte payload, type 0x7, no flags, stream 0.
 * const goaway = Uint8Array.of(0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0);
 * const filter = new GoawayFilter();
 * assert.equal(filter.scan(preface), 0);
 * assert.equal(filter.scan(goaway), 1);
 * assert.equal(goaway[3], GOAWAY_REPLACEMENT_TYPE);
 * ```
 *
 * @module
 */

import { CLIENT_PREFACE_LENGTH, FrameReader } from "./frame_reader.ts";

export { CLIENT_PREFACE_LENGTH };

/** HTTP/2 frame type of GOAWAY. */
export const GOAWAY_TYPE = 0x7;

/**
 * What a GOAWAY's type becomes: the first type RFC 9113 reserves for
 * experimental use (0xf0–0xff), which nghttp2 ignores unless told otherwise.
 */
export const GOAWAY_REPLACEMENT_TYPE = 0xf0;

/**
 * Follows one connection's client-to-server byte stream frame by frame and
 * neutralizes its GOAWAY frames. Costs a few operations per frame header;
 * payloads are skipped without being read.
 */
export class GoawayFilter {
  #found = 0;
  readonly #reader = new FrameReader({
    typeByte: (chunk, index) => {
      if (chunk[index] !== GOAWAY_TYPE) return;
      chunk[index] = GOAWAY_REPLACEMENT_TYPE;
      this.#found++;
    },
  });

  /**
   * Rewrites, in place, the type of every GOAWAY frame whose type byte is in
   * `chunk`; a frame header may be split across chunks.
   *
   * @param chunk the next bytes the connection read, in order
   * @returns how many GOAWAY frames were neutralized
   */
  scan(chunk: Uint8Array): number {
    this.#found = 0;
    this.#reader.scan(chunk);
    return this.#found;
  }
}
