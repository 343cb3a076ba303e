/**
 * Raw gRPC streams for hostile-client tests: watches that are never read,
 * health Watch and reflection streams, each on a connection of its own, and
 * a TCP proxy that can freeze (a peer that vanished without closing).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import * as net from "node:net";

const identity = (b: Buffer): Buffer => b;
const EMPTY = Buffer.alloc(0);

/** How a stream ended, once it did. */
export interface Ended {
  code: grpc.status;
  details: string;
}

/** A stream the test never reads from. */
export interface OpenStream {
  /** Messages received (only counted when `read` was asked for). */
  readonly received: number;
  /** Resolves when the first message arrives, rejects when the stream ends first. */
  readonly first: Promise<void>;
  /** Resolves with the final status. */
  readonly ended: Promise<Ended>;
  cancel(): void;
}

/** A client with a connection of its own (local subchannel pool). */
export function ownConnection(target: string): grpc.Client {
  return new grpc.Client(target, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
  });
}

/**
 * Opens a server stream with an empty request (a WatchGpus of everything, a
 * health Watch of ""). With `read: false` no message is ever read.
 */
export function openStream(
  client: grpc.Client,
  path: string,
  options: { read: boolean },
): OpenStream {
  const call = client.makeServerStreamRequest<Buffer, Buffer>(
    path,
    identity,
    identity,
    EMPTY,
    new grpc.Metadata(),
  );
  return track(call, options.read);
}

/** Opens a reflection stream (bidi) and sends nothing. */
export function openReflection(client: grpc.Client): OpenStream {
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    identity,
    identity,
    new grpc.Metadata(),
  );
  return track(call, true);
}

function track(
  call: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>,
  read: boolean,
): OpenStream {
  let received = 0;
  const first = Promise.withResolvers<void>();
  const ended = new Promise<Ended>((resolve) => {
    call.on("error", (e: grpc.ServiceError) => {
      first.reject(new Error(`stream ended: ${grpc.status[e.code]} ${e.details}`));
      resolve({ code: e.code, details: e.details });
    });
    call.on("status", (s: grpc.StatusObject) => {
      if (s.code === grpc.status.OK) resolve({ code: s.code, details: s.details });
    });
  });
  first.promise.catch(() => {});
  if (read) {
    call.on("data", () => {
      received++;
      first.resolve();
    });
  }
  return {
    get received() {
      return received;
    },
    first: first.promise,
    ended,
    cancel: () => call.cancel(),
  };
}

/** A TCP proxy to `port` that can freeze: forward nothing more, close nothing. */
export class FreezingProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #frozen = false;
  port = 0;

  private constructor(target: number) {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => this.#sockets.delete(s));
      }
      client.on("data", (b) => this.#frozen || upstream.write(b));
      upstream.on("data", (b) => this.#frozen || client.write(b));
      client.on("close", () => this.#frozen || upstream.destroy());
      upstream.on("close", () => this.#frozen || client.destroy());
    });
  }

  /** Listens on a free loopback port. */
  static async start(target: number): Promise<FreezingProxy> {
    const proxy = new FreezingProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** From now on nothing is forwarded and nothing is closed: the peer "vanished". */
  freeze(): void {
    this.#frozen = true;
  }

  /** Closes every socket and the listener. */
  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.#server.close();
  }
}
