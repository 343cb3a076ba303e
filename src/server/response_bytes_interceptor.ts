/**
 * Counts each ListGpus response against the server's bound on the bytes client
 * connections hold (`held_bytes.ts`) from its write until grpc-js
 * reports it sent, which is when the client's flow-control window has taken
 * it. A client that asks and never reads so holds its responses against the
 * bound, and its connection is the one closed when the bound is reached.
 *
 * Only ListGpus is followed: its response grows with the store, up to
 * `--max-message-bytes`. Every other response is at most one object
 * (`--max-object-bytes`, 64 KiB by default), about what a stream's initial
 * flow-control window takes at once, so grpc-js reports it sent whether or
 * not the client reads (what the HTTP/2 layer keeps of it afterwards is the
 * open problem of docs/security.md, "Still open"); and a layer on every call
 * costs 2–5% per call (docs/performance.md, item 20). Watch streams are
 * bounded by their own queues.
 *
 * @module
 */
import {
  type ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  status as Status,
} from "@grpc/grpc-js";
import { GPU_SERVICE } from "../api/mod.ts";
import { ListeningCall } from "./listening_call.ts";
import type { ConnectionHeldBytes, HeldBytesBudget } from "./held_bytes.ts";

/** Builds the interceptor that holds ListGpus responses against `budget` until they are sent. */
export function responseBytesInterceptor(budget: HeldBytesBudget): ServerInterceptor {
  return (method, call) => {
    if (method.path !== LIST_GPUS) return call as ServerInterceptingCall;
    const connection = budget.connection(call.getPeer());
    if (!connection) return call as ServerInterceptingCall;
    return new ResponseBytesCall(call, connection);
  };
}

const LIST_GPUS = `/${GPU_SERVICE}/ListGpus`;

const CLOSED = "the connection was closed: it held the most of the server's bound on " +
  "unfinished requests and unread responses";

// One unary call: what it has written and not yet seen sent.
class ResponseBytesCall extends ListeningCall {
  readonly #connection: ConnectionHeldBytes;
  #held = 0;

  constructor(call: ServerInterceptingCallInterface, connection: ConnectionHeldBytes) {
    super(call);
    this.#connection = connection;
  }

  override sendMessage(message: unknown, callback: () => void): void {
    // Closed over the bound: the calls it had asked for would only copy their responses
    // (grpc-js frames each anew) into a connection that is going away.
    if (this.#connection.closed) {
      this.sendStatus({ code: Status.UNAVAILABLE, details: CLOSED, metadata: null });
      return;
    }
    const bytes = (message as Uint8Array).byteLength ?? 0;
    this.#held += bytes;
    this.#connection.holdResponse(bytes);
    super.sendMessage(message, () => {
      this.#letGo(bytes);
      callback();
    });
  }

  // Fires when the call ends, sent or not: what is still held goes with it.
  override onCancel(): void {
    this.#letGo(this.#held);
    super.onCancel();
  }

  #letGo(bytes: number): void {
    const n = Math.min(bytes, this.#held);
    this.#held -= n;
    this.#connection.holdResponse(-n);
  }
}
