/**
 * A TCP proxy on loopback whose connections a test can drop at once, to break streams for real
 * while the server keeps running (and keeps its event history).
 *
 * @module
 */

/** Forwards 127.0.0.1:port to a target address; cut() drops every open connection. */
export class DroppingProxy {
  readonly port: number;
  readonly #listener: Deno.Listener;
  readonly #open = new Set<Deno.Conn>();
  #paused = false;

  /** Starts forwarding to `target` (`127.0.0.1:PORT`). */
  constructor(target: string) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    const [hostname, port] = [
      target.slice(0, target.lastIndexOf(":")),
      Number(target.slice(target.lastIndexOf(":") + 1)),
    ];
    (async () => {
      for await (const inbound of listener) {
        if (this.#paused) {
          inbound.close();
          continue;
        }
        try {
          const outbound = await Deno.connect({ hostname, port });
          this.#open.add(inbound).add(outbound);
          inbound.readable.pipeTo(outbound.writable).catch(() => {});
          outbound.readable.pipeTo(inbound.writable).catch(() => {});
        } catch {
          inbound.close();
        }
      }
    })().catch(() => {});
  }

  /** Drops every open connection; new ones are still accepted. */
  cut(): number {
    const n = this.#open.size;
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    this.#open.clear();
    return n;
  }

  /** Drops every open connection and closes new ones at once until {@linkcode resume}. */
  pause(): number {
    this.#paused = true;
    return this.cut();
  }

  /** Forwards new connections again. */
  resume(): void {
    this.#paused = false;
  }

  /** Stops listening and drops every connection. */
  close(): void {
    this.cut();
    this.#listener.close();
  }
}
