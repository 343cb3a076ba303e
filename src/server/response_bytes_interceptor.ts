/**
 * Counts each unary response against the server's bound on the bytes client
 * connections hold (`pending_requests.ts`) from its write until grpc-js
 * reports it sent, which is when the client's flow-control window has taken
 * it. A client that asks and never reads so holds its responses against the
 * bound, and its connection is the one closed when the bound is reached.
 * Streaming calls pass through untouched: watch streams are bounded by their
 * own queues.
 *
 * @module
 */
import {
  type ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  status as Status,
} from "@grpc/grpc-js";
import { ListeningCall } from "./listening_call.ts";
import type { PendingRequestBudget, PendingRequests } from "./pending_requests.ts";

/** Builds the interceptor that holds unary responses against `budget` until they are sent. */
export function responseBytesInterceptor(budget: PendingRequestBudget): ServerInterceptor {
  return (method, call) => {
    if (method.requestStream || method.responseStream) return call as ServerInterceptingCall;
    const connection = budget.connection(call.getPeer());
    if (!connection) return call as ServerInterceptingCall;
    return new ResponseBytesCall(call, connection);
  };
}

const CLOSED = "the connection was closed: it held the most of the server's bound on " +
  "unfinished requests and unread responses";

// One unary call: what it has written and not yet seen sent.
class ResponseBytesCall extends ListeningCall {
  readonly #connection: PendingRequests;
  #held = 0;

  constructor(call: ServerInterceptingCallInterface, connection: PendingRequests) {
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
