/**
 * gRPC server reflection, so `grpcurl -plaintext -unix <socket> list` works
 * without a local copy of the proto.
 *
 * The streams of @grpc/reflection are tracked here, so that shutdown can end
 * them (grpc-js never finishes a drain while a stream is open), and bounded:
 * at most `maxStreams` at once, and a stream whose client does not read its
 * answers stops being read (back-pressure) instead of queueing answers.
 *
 * The library is loaded, and the descriptors of the contract built, on the
 * first reflection stream, not at start: the library, @grpc/proto-loader
 * and the reflection protos they parse took about 75 ms of every start and
 * several MiB, and building the descriptors about 200 ms more, for a
 * service that tools like grpcurl use now and then. Until then the two
 * reflection services are registered under their public method paths with
 * byte-passing serializers; each stream hands its messages to the library's
 * handler through the library's own serializers.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { EventEmitter } from "node:events";
import type { Buffer } from "node:buffer";
import { protoRoot } from "../api/mod.ts";
import type { ExtraService } from "./server.ts";

type ReflectionStream = grpc.ServerDuplexStream<unknown, unknown>;
type Handler = (stream: ReflectionStream) => void;

/** The reflection services @grpc/reflection serves: v1 and the older v1alpha. */
const SERVICES = [
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];
/** Their one method, a bidirectional stream. */
const METHOD = "ServerReflectionInfo";

/** Options of {@linkcode reflectionService}. */
export interface ReflectionOptions {
  /** Reflection streams open at once, over every listener (default 16). */
  maxStreams?: number;
  /** Called for every stream refused by the limit. */
  onReject?: () => void;
}

/** Default of {@linkcode ReflectionOptions.maxStreams}. */
export const DEFAULT_MAX_REFLECTION_STREAMS = 16;

/** The reflection service, with the number of its open streams. */
export interface Reflection extends ExtraService {
  /** Open reflection streams. */
  readonly streams: number;
}

/** Builds the reflection service over every contract file. */
export function reflectionService(options: ReflectionOptions = {}): Reflection {
  const streams = new Set<ReflectionStream>();
  const limit = { max: options.maxStreams ?? DEFAULT_MAX_REFLECTION_STREAMS, ...options };
  let library: Promise<Map<string, Library>> | undefined;
  return {
    get streams() {
      return streams.size;
    },
    addTo: (server: grpc.Server) => {
      for (const service of SERVICES) {
        const handler: Handler = (stream) => {
          library ??= loadLibrary();
          library.then(
            (services) => bridge(stream, services.get(service)!),
            (err) => stream.emit("error", { code: status.INTERNAL, details: String(err) }),
          );
        };
        server.addService(
          { [METHOD]: passThroughMethod(service) },
          { [METHOD]: bounded(handler, streams, limit) },
        );
      }
    },
    closeStreams: () => {
      for (const stream of streams) {
        stream.emit("error", { code: status.UNAVAILABLE, details: "server is shutting down" });
      }
      streams.clear();
    },
  };
}

// What the library serves for one reflection service: its method's definition and handler.
interface Library {
  method: grpc.MethodDefinition<unknown, unknown>;
  handler: Handler;
}

// Loads @grpc/reflection (and proto-loader) and builds its services over the contract's root.
async function loadLibrary(): Promise<Map<string, Library>> {
  const [{ ReflectionService }, protoLoader] = await Promise.all([
    import("@grpc/reflection"),
    import("@grpc/proto-loader"),
  ]);
  const services = new Map<string, Library>();
  // From the already-loaded root: no second read of the .proto files.
  new ReflectionService(protoLoader.fromJSON(protoRoot().toJSON())).addToServer({
    addService: (definition, implementation) => {
      const method = Object.values(definition)[0]!;
      services.set(method.path.split("/")[1]!, {
        method,
        handler: Object.values(implementation)[0] as Handler,
      });
    },
  });
  return services;
}

// The method's definition as registered at start: the path and streaming of the public
// reflection protocol, bytes in and out (the stream's bridge decodes and encodes them).
function passThroughMethod(service: string): grpc.MethodDefinition<Buffer, Buffer> {
  const same = (bytes: Buffer) => bytes;
  return {
    path: `/${service}/${METHOD}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
    originalName: METHOD,
  };
}

// Runs the library's handler on a stand-in for the stream that carries its decoded messages:
// the handler reads 'data' and 'end' and answers with write() and end().
function bridge(stream: ReflectionStream, { method, handler }: Library): void {
  const standIn = new EventEmitter() as EventEmitter & { write(m: unknown): boolean; end(): void };
  standIn.write = (message) => stream.write(method.responseSerialize(message));
  standIn.end = () => stream.end();
  handler(standIn as unknown as ReflectionStream);
  stream.on("data", (bytes: Buffer) => {
    let request: unknown;
    try {
      request = method.requestDeserialize(bytes);
    } catch {
      stream.emit("error", {
        code: status.INVALID_ARGUMENT,
        details: "malformed reflection request",
      });
      return;
    }
    standIn.emit("data", request);
  });
  // Back-pressure: the library answers each request as it is read and ignores write()'s
  // result. This listener runs after the one above: stop reading requests while answers
  // wait to be sent. (Messages that came before the library was loaded waited in the stream.)
  stream.on("data", () => {
    if (stream.writableNeedDrain && !stream.isPaused()) {
      stream.pause();
      stream.once("drain", () => stream.resume());
    }
  });
  stream.on("end", () => standIn.emit("end"));
}

// Wraps a stream handler: refused beyond the limit, and tracked in `streams` until it ends.
function bounded(
  handler: Handler,
  streams: Set<ReflectionStream>,
  limit: { max: number; onReject?: () => void },
): Handler {
  return (stream) => {
    if (streams.size >= limit.max) {
      limit.onReject?.();
      stream.emit("error", {
        code: status.RESOURCE_EXHAUSTED,
        details: `too many reflection streams: the limit is ${limit.max} ` +
          "(--max-reflection-streams); end a stream before opening another",
      });
      return;
    }
    streams.add(stream);
    const forget = () => streams.delete(stream);
    stream.on("cancelled", forget);
    stream.on("close", forget);
    stream.on("finish", forget);
    handler(stream);
  };
}
