/**
 * Which listener and which connection a call came in on, from the peer
 * string grpc-js reports (`call.getPeer()`).
 *
 * TCP peers are `host:port`, unique per connection. Unix socket peers have no
 * address, so the server accepts those connections itself and gives each
 * socket a `remoteAddress` of `<listener>#<n>` (see `unix_listener.ts`),
 * which grpc-js then reports as the peer.
 *
 * @module
 */

/** The listeners: the provider socket, the read-only consumer socket, TCP. */
export type ListenerName = "unix-socket" | "consumer-socket" | "tcp";

/** Where a call came from. */
export interface Peer {
  readonly listener: ListenerName;
  /** Unique among the open connections of every listener. */
  readonly connection: string;
}

const TAGGED: readonly ListenerName[] = ["unix-socket", "consumer-socket"];

/**
 * The peer string of the `n`th connection accepted on a Unix socket listener.
 *
 * @param listener the Unix socket listener
 * @param n a number unique to the connection
 * @returns the string {@linkcode peerOf} maps back to the listener
 */
export function connectionTag(listener: "unix-socket" | "consumer-socket", n: number): string {
  return `${listener}#${n}`;
}

/**
 * Maps a `call.getPeer()` string to its listener and connection; anything
 * without a tag came in over TCP.
 *
 * @param peer what grpc-js reports for the call
 * @returns the listener and the connection
 */
export function peerOf(peer: string): Peer {
  const hash = peer.indexOf("#");
  const name = hash > 0 ? peer.slice(0, hash) : "";
  const listener = TAGGED.find((l) => l === name) ?? "tcp";
  return { listener, connection: peer };
}
