/**
 * gRPC server reflection, so `grpcurl -plaintext -unix <socket> list` works
 * without a local copy of the proto.
 *
 * The streams of @grpc/reflection are tracked here, so that shutdown can end
 * them (grpc-js never finishes a drain while a stream is open), and bounded:
 * at most `maxStreams` at once, and a stream whose client does not read its
 * answers stops being read (back-pressure) instead of queueing answers.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoRoot } from "../api/mod.ts";
import type { ExtraService } from "./server.ts";

type ReflectionStream = grpc.ServerDuplexStream<unknown, unknown>;

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
  // From the already-loaded root: no second read of the .proto files.
  const definitions = protoLoader.fromJSON(protoRoot().toJSON());
  const reflection = new ReflectionService(definitions);
  const streams = new Set<ReflectionStream>();
  const limit = { max: options.maxStreams ?? DEFAULT_MAX_REFLECTION_STREAMS, ...options };
  return {
    get streams() {
      return streams.size;
    },
    addTo: (server: grpc.Server) =>
      reflection.addToServer({
        addService: (service, implementation) =>
          server.addService(service, bounded(implementation, streams, limit)),
      }),
    closeStreams: () => {
      for (const stream of streams) {
        stream.emit("error", { code: grpc.status.UNAVAILABLE, details: "server is shutting down" });
      }
      streams.clear();
    },
  };
}

// Wraps every bidi handler: refused beyond the limit, tracked in `streams`
// until it ends, and not read while its answers wait to be sent.
function bounded(
  implementation: grpc.UntypedServiceImplementation,
  streams: Set<ReflectionStream>,
  limit: { max: number; onReject?: () => void },
): grpc.UntypedServiceImplementation {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(implementation)) {
    wrapped[name] = (stream: ReflectionStream) => {
      if (streams.size >= limit.max) {
        limit.onReject?.();
        stream.emit("error", {
          code: grpc.status.RESOURCE_EXHAUSTED,
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
      (handler as (s: ReflectionStream) => void)(stream);
      // Back-pressure: the library answers each request as it is read and
      // ignores write()'s result. This listener runs after the library's:
      // stop reading requests while answers wait to be sent.
      stream.on("data", () => {
        if (stream.writableNeedDrain && !stream.isPaused()) {
          stream.pause();
          stream.once("drain", () => stream.resume());
        }
      });
    };
  }
  return wrapped;
}
