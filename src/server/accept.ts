/**
 * Hands an accepted connection to grpc-js, with the client's GOAWAY frames
 * neutralized first (see `goaway_filter.ts` for why) and its unfinished
 * request messages counted against the server's bound
 * (`held_bytes.ts`), and counts it among its listener's open
 * connections until it closes. One place for every
 * listener the server owns: the Unix sockets and TCP (plaintext or TLS).
 *
 * @module
 */
import type * as net from "node:net";
import type { ConnectionInjector } from "@grpc/grpc-js";
import type { Logger } from "../logging/mod.ts";
import { GoawayFilter } from "./goaway_filter.ts";
import type { HeldBytesBudget } from "./held_bytes.ts";

/**
 * Adds `socket` to `open` until it closes, filters its incoming bytes
 * through a {@linkcode GoawayFilter} and injects it into grpc-js. The filter's listener is prepended, so it sees
 * each chunk before the HTTP/2 session does; both are attached in the same
 * turn of the event loop, so no chunk can pass unfiltered.
 *
 * @param socket a connection just accepted
 * @param open the listener's open connections
 * @param injector grpc-js's injector of the server that serves it
 * @param log where a neutralized GOAWAY is noted (verbosity 4)
 * @param held the server's bound on what connections hold, which this connection's unfinished requests count against
 */
export function acceptConnection(
  socket: net.Socket,
  open: Set<net.Socket>,
  injector: ConnectionInjector,
  log: Logger,
  held?: HeldBytesBudget,
): void {
  open.add(socket);
  const connection = held?.track(peer(socket), () => socket.destroy());
  socket.once("close", () => {
    open.delete(socket);
    connection?.release();
  });
  const filter = new GoawayFilter();
  socket.prependListener("data", (chunk: Uint8Array) => {
    if (filter.scan(chunk) > 0) {
      log.V(4).info("Client sent GOAWAY; the connection ends when it closes", "peer", peer(socket));
    }
    connection?.scan(chunk);
  });
  injector.injectConnection(socket);
}

// The connection's peer as grpc-js reports it for each call (`getPeer()`).
function peer(socket: net.Socket): string {
  return socket.remotePort
    ? `${socket.remoteAddress}:${socket.remotePort}`
    : String(socket.remoteAddress);
}
