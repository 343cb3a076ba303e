/**
 * The base of our server interceptors' calls: a grpc-js
 * `ServerInterceptingCall` that is also the listener of the call's inbound
 * events, so that intercepting a call costs one object instead of a
 * listener builder, a responder builder and their closures.
 *
 * A subclass overrides the inbound hooks it needs (calling `super` to pass
 * the event on) and the outbound methods of `ServerInterceptingCall`
 * (`sendMetadata`, `sendMessage`, `sendStatus`). Subclassing
 * `ServerInterceptingCall` and overriding its public methods is grpc-js's
 * public interceptor API; nothing private is touched.
 *
 * Response messages go straight to the next call (see
 * {@linkcode ListeningCall.sendMessage}): the next call sends the response
 * metadata before the first one, so a subclass that changes that metadata
 * sends it itself before its first message.
 *
 * @example Usage
 * ```ts
 * import type { ServerInterceptor } from "@grpc/grpc-js";
 * import { ListeningCall } from "./listening_call.ts";
 *
 * let messages = 0;
 * class CountingCall extends ListeningCall {
 *   override onReceiveMessage(message: unknown): void {
 *     messages++;
 *     super.onReceiveMessage(message);
 *   }
 * }
 * const interceptor: ServerInterceptor = (_method, call) => new CountingCall(call);
 * ```
 *
 * @module
 */
import {
  type Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
} from "@grpc/grpc-js";

/** The listener a call starts with (grpc-js does not export its type). */
export type CallListener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/** A status as an intercepted call sends it (grpc-js does not export its type). */
export type CallStatus = Parameters<ServerInterceptingCallInterface["sendStatus"]>[0];

/** An intercepted call that hears its inbound events itself and passes them on. */
export class ListeningCall extends ServerInterceptingCall {
  #listener: CallListener | undefined;
  readonly #next: ServerInterceptingCallInterface;

  /** Intercepts `call`: what is not overridden passes through unchanged. */
  constructor(call: ServerInterceptingCallInterface) {
    super(call);
    this.#next = call;
  }

  /**
   * Hands a response message to the next call. The inherited method routes
   * each message through grpc-js's responder, a closure per message that only
   * forwards it: on a watch stream every event paid for it, once per layer
   * (docs/performance.md, item 23).
   */
  override sendMessage(message: unknown, callback: () => void): void {
    this.#next.sendMessage(message, callback);
  }

  /** Starts the call with this object as the listener of its inbound events. */
  override start(listener: CallListener): void {
    this.#listener = listener;
    super.start(this as unknown as CallListener);
  }

  /** The client's metadata arrived. */
  onReceiveMetadata(metadata: Metadata): void {
    this.#listener!.onReceiveMetadata(metadata);
  }

  /** A request message arrived. */
  onReceiveMessage(message: unknown): void {
    this.#listener!.onReceiveMessage(message);
  }

  /** The client finished sending. */
  onReceiveHalfClose(): void {
    this.#listener!.onReceiveHalfClose();
  }

  /** The call ended without a status from the handler (or after it: grpc-js fires it then too). */
  onCancel(): void {
    this.#listener!.onCancel();
  }
}
