/**
 * Hand-framed gRPC over node:http2, for connections that tests cut at any
 * point: mid-stream, mid-message, before the response.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import net from "node:net";
import { SERVICE_PATH } from "./_raw_client.ts";

/** Where to connect: a Unix socket path or a TCP `host:port`. */
export type Endpoint = { path: string } | { host: string; port: number };

/** Frames one gRPC message: flag byte, 4-byte big-endian length, bytes. */
export function grpcFrame(message: Uint8Array, declaredLength = message.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, Buffer.from(message)]);
}

/** One HTTP/2 connection whose socket the test owns. */
export class RawH2 {
  readonly session: http2.ClientHttp2Session;
  readonly socket: net.Socket;

  /** Connects (lazily completes) to the endpoint. */
  constructor(endpoint: Endpoint) {
    let socket: net.Socket | undefined;
    this.session = http2.connect("http://localhost", {
      createConnection: () => {
        socket = "path" in endpoint
          ? net.connect(endpoint.path)
          : net.connect(endpoint.port, endpoint.host);
        return socket;
      },
    });
    this.session.on("error", () => {}); // cut connections error by design
    this.socket = socket!;
  }

  /** Starts a call; `body` is written as is (a frame, part of one, or nothing). */
  call(method: string, body?: Uint8Array, end = true): http2.ClientHttp2Stream {
    const stream = this.session.request({
      ":method": "POST",
      ":path": SERVICE_PATH + method,
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => {});
    if (body && end) stream.end(Buffer.from(body));
    else if (body) stream.write(Buffer.from(body));
    else if (end) stream.end();
    return stream;
  }

  /** Resolves with the first DATA chunk of a stream, or undefined when it ends without one. */
  static firstData(stream: http2.ClientHttp2Stream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      stream.once("data", (d: Buffer) => resolve(d));
      stream.once("close", () => resolve(undefined));
    });
  }

  /** Resolves with the grpc-status trailer (or header) of a stream; -1 if none came. */
  static grpcStatus(stream: http2.ClientHttp2Stream): Promise<number> {
    return new Promise((resolve) => {
      const read = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) resolve(Number(h["grpc-status"]));
      };
      stream.on("response", read);
      stream.on("trailers", read);
      stream.on("data", () => {});
      stream.once("close", () => resolve(-1));
    });
  }

  /** Cuts the connection: no GOAWAY, no RST_STREAM, the socket just closes. */
  cut(): void {
    this.socket.destroy();
  }

  /** Tears the session down from the HTTP/2 side. */
  destroy(): void {
    this.session.destroy();
  }
}
