/**
 * A server-wide bound on the bytes client connections hold in the server:
 * request messages that have started to arrive and are not complete yet,
 * and ListGpus responses written that the client has not taken yet.
 *
 * Why: grpc-js buffers a request message until its last byte arrives, up to
 * the receive limit (`--max-message-bytes`), and nothing bounds how many
 * such messages are open at once: one client holding 32 streams with 3 MiB
 * of an unfinished 4 MiB GetGpu each took the server from 70 to 194 MiB,
 * and HTTP/2's session memory limit does not count those buffers. A client
 * that can reach any socket could get the server OOM-killed in a second.
 * The other way round, a response waits in the server until the
 * client's flow-control window takes it: a client that sent 256 ListGpus on
 * one connection and never read held ≈1 MiB per call with a 469 KiB list
 * (+258 MiB; four such connections, +1 GiB).
 *
 * How: each connection's bytes are followed frame by frame before grpc-js
 * sees them (`frame_reader.ts`), DATA frames through the gRPC message
 * framing (a 5-byte prefix with the message length). What a stream has
 * received of a message it has not finished counts against the bound until
 * the message completes, the client ends or resets the stream, or the
 * connection closes. A ListGpus response counts from its write until grpc-js
 * reports it sent, or its call ends (`response_bytes_interceptor.ts`, which
 * finds the connection by the call's peer). When the total would pass the
 * bound, the connection
 * holding the most is closed (as the watch queue pool ends the watcher
 * holding the most): a client that spreads its bytes over many connections
 * loses them one by one, a client sending ordinary requests is never the
 * largest. Pure logic, no I/O: closing is the caller's callback.
 *
 * @module
 */
import { type FrameHeader, FrameReader } from "./frame_reader.ts";

/** HTTP/2 frame types and flags this reads (RFC 9113, section 6). */
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const END_STREAM = 0x1;
const PADDED = 0x8;

/** Bytes of the gRPC message prefix: a compression flag and a 32-bit length. */
const MESSAGE_PREFIX_LENGTH = 5;

/** The bound shared by every connection of the server. */
export class HeldBytesBudget {
  readonly #maxBytes: number;
  readonly #maxMessageBytes: number;
  readonly #onEvict: (heldBytes: number) => void;
  readonly #connections = new Map<string, ConnectionHeldBytes>();
  #total = 0;

  /**
   * @param maxBytes the bound on what all connections hold together: unfinished requests, unread responses
   * @param maxMessageBytes the receive limit: a longer message is refused by grpc-js unbuffered, so it does not count
   * @param onEvict told the bytes of each connection closed over the bound
   */
  constructor(maxBytes: number, maxMessageBytes: number, onEvict: (heldBytes: number) => void) {
    this.#maxBytes = maxBytes;
    this.#maxMessageBytes = maxMessageBytes;
    this.#onEvict = onEvict;
  }

  /** Bytes held now over every connection: unfinished requests, unread ListGpus responses. */
  get bytes(): number {
    return this.#total;
  }

  /**
   * Starts following one connection, known by its peer as grpc-js reports
   * it for the connection's calls; `close` ends it when it must go. Call
   * {@linkcode ConnectionHeldBytes.release} when the connection closes.
   */
  track(peer: string, close: () => void): ConnectionHeldBytes {
    const connection = new ConnectionHeldBytes(this, this.#maxMessageBytes, peer, close);
    this.#connections.set(peer, connection);
    return connection;
  }

  /** The open connection of a call's peer, if it is followed. */
  connection(peer: string): ConnectionHeldBytes | undefined {
    return this.#connections.get(peer);
  }

  /** @internal A connection's held bytes changed by `delta`. */
  change(delta: number): void {
    this.#total += delta;
    while (this.#total > this.#maxBytes) {
      let largest: ConnectionHeldBytes | undefined;
      for (const c of this.#connections.values()) {
        if (!largest || c.bytes > largest.bytes) largest = c;
      }
      if (!largest || largest.bytes === 0) return;
      const bytes = largest.bytes;
      largest.evict();
      this.#onEvict(bytes);
    }
  }

  /** @internal The connection no longer counts. */
  forget(connection: ConnectionHeldBytes): void {
    if (this.#connections.get(connection.peer) === connection) {
      this.#connections.delete(connection.peer);
    }
  }
}

// What one stream has received of its current message.
interface StreamMessage {
  prefixLeft: number; // prefix bytes still to come (5 at a message's start)
  length: number; // the declared length, as its bytes arrive
  bodyLeft: number; // body bytes still to come, once the prefix is whole
  bytes: number; // bytes counted against the budget
  counted: boolean; // false for a message over the receive limit (refused, never buffered)
}

/** One connection's unfinished request messages, read from its frames, and its unread responses. */
export class ConnectionHeldBytes {
  /** The connection's peer, as grpc-js reports it for its calls. */
  readonly peer: string;
  readonly #budget: HeldBytesBudget;
  readonly #maxMessageBytes: number;
  readonly #close: () => void;
  readonly #reader: FrameReader;
  // Streams in the middle of a message; a stream leaves when its message completes.
  readonly #streams = new Map<number, StreamMessage>();
  #bytes = 0;
  #closed = false;
  // The DATA frame being read: its stream, padding, and whether it ends the stream.
  #inData = false;
  #stream = 0;
  #padLengthNext = false;
  #dataLeft = 0; // message bytes left in the frame (its padding excluded)
  #endStream = false;

  /** @internal Made by {@linkcode HeldBytesBudget.track}. */
  constructor(
    budget: HeldBytesBudget,
    maxMessageBytes: number,
    peer: string,
    close: () => void,
  ) {
    this.peer = peer;
    this.#budget = budget;
    this.#maxMessageBytes = maxMessageBytes;
    this.#close = close;
    this.#reader = new FrameReader({
      header: (h) => this.#header(h),
      payload: (chunk, start, end) => this.#payload(chunk, start, end),
      end: () => this.#frameEnd(),
    });
  }

  /** Whether the connection closed, or was closed over the bound. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes this connection holds: unfinished requests and unread responses. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Reads the next bytes the connection received, in order; may close the connection. */
  scan(chunk: Uint8Array): void {
    if (!this.#closed) this.#reader.scan(chunk);
  }

  /**
   * Counts `bytes` of a response written and not yet sent (negative: sent,
   * or its call ended); may close the connection. Nothing once it closed.
   */
  holdResponse(bytes: number): void {
    if (!this.#closed) this.#add(bytes);
  }

  /** The connection closed: what it held no longer counts. */
  release(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#streams.clear();
    this.#add(-this.#bytes);
    this.#budget.forget(this);
  }

  /** @internal Closes the connection over the budget. */
  evict(): void {
    this.release();
    this.#close();
  }

  #header(h: FrameHeader): void {
    this.#inData = h.type === DATA;
    if (this.#inData) {
      this.#stream = h.streamId;
      this.#endStream = (h.flags & END_STREAM) !== 0;
      this.#padLengthNext = (h.flags & PADDED) !== 0;
      this.#dataLeft = h.length;
    } else if (h.type === RST_STREAM || (h.type === HEADERS && (h.flags & END_STREAM) !== 0)) {
      this.#end(h.streamId);
    }
  }

  #payload(chunk: Uint8Array, start: number, end: number): void {
    if (!this.#inData || this.#closed) return;
    let i = start;
    if (this.#padLengthNext) {
      this.#padLengthNext = false;
      this.#dataLeft = Math.max(0, this.#dataLeft - 1 - chunk[i]!);
      i++;
    }
    const take = Math.min(end - i, this.#dataLeft);
    if (take <= 0) return;
    this.#message(chunk, i, take);
    this.#dataLeft -= take;
  }

  // `n` bytes of the stream's message data, from chunk[i].
  #message(chunk: Uint8Array, i: number, n: number): void {
    let s = this.#streams.get(this.#stream);
    while (n > 0) {
      if (!s) {
        s = { prefixLeft: MESSAGE_PREFIX_LENGTH, length: 0, bodyLeft: 0, bytes: 0, counted: true };
        this.#streams.set(this.#stream, s);
      }
      let counted = 0;
      if (s.prefixLeft > 0) {
        const byte = chunk[i]!;
        if (s.prefixLeft < MESSAGE_PREFIX_LENGTH) s.length = s.length * 256 + byte;
        s.prefixLeft--;
        i++;
        n--;
        counted = 1;
        if (s.prefixLeft === 0) {
          s.bodyLeft = s.length;
          s.counted = s.length <= this.#maxMessageBytes;
        }
      } else {
        const take = Math.min(n, s.bodyLeft);
        s.bodyLeft -= take;
        i += take;
        n -= take;
        counted = s.counted ? take : 0;
      }
      if (s.prefixLeft === 0 && s.bodyLeft === 0) {
        // Complete: grpc-js decodes it and lets its bytes go.
        this.#streams.delete(this.#stream);
        this.#add(-s.bytes);
        s = undefined;
      } else if (counted > 0) {
        s.bytes += counted;
        this.#add(counted);
        if (this.#closed) return;
      }
    }
  }

  #frameEnd(): void {
    if (this.#inData && this.#endStream && !this.#closed) this.#end(this.#stream);
  }

  #end(streamId: number): void {
    const s = this.#streams.get(streamId);
    if (!s) return;
    this.#streams.delete(streamId);
    this.#add(-s.bytes);
  }

  #add(delta: number): void {
    if (delta === 0) return;
    this.#bytes += delta;
    this.#budget.change(delta);
  }
}
