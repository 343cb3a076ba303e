/**
 * gRPC server reflection, so `grpcurl -plaintext -unix <socket> list` works
 * without a local copy of the proto.
 *
 * The streams of @grpc/reflection are tracked here, so that shutdown can end
 * them (grpc-js never finishes a drain while a stream is open), and bounded:
 * at most `maxStreams` at once, and a stream whose client does not read its
 * answers stops being read (back-pressure) instead of queueing answers.
 *
 * The descriptors of the contract are built on the first reflection stream,
 * not at start: building them takes about 200 ms and several MiB, which a
 * server that nobody asks for reflection never pays, and start-up does not
 * wait for.
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
  const streams = new Set<ReflectionStream>();
  const limit = { max: options.maxStreams ?? DEFAULT_MAX_REFLECTION_STREAMS, ...options };
  let built: Map<string, grpc.UntypedServiceImplementation> | undefined;
  // The handlers of the library's reflection services over our contract, by service name.
  const implementationOf = (service: string): grpc.UntypedServiceImplementation => {
    if (!built) {
      const ready = new Map<string, grpc.UntypedServiceImplementation>();
      // From the already-loaded root: no second read of the .proto files.
      new ReflectionService(protoLoader.fromJSON(protoRoot().toJSON())).addToServer({
        addService: (definition, implementation) =>
          ready.set(serviceName(definition), implementation),
      });
      built = ready;
    }
    return built.get(service)!;
  };
  return {
    get streams() {
      return streams.size;
    },
    // The same services, registered from a reflection of nothing (cheap); each handler asks
    // for the real implementation when a stream arrives.
    addTo: (server: grpc.Server) =>
      new ReflectionService({}).addToServer({
        addService: (definition, implementation) => {
          const name = serviceName(definition);
          const lazy: grpc.UntypedServiceImplementation = {};
          for (const method of Object.keys(implementation)) {
            lazy[method] = (stream: ReflectionStream) =>
              (implementationOf(name)[method] as (s: ReflectionStream) => void)(stream);
          }
          server.addService(definition, bounded(lazy, streams, limit));
        },
      }),
    closeStreams: () => {
      for (const stream of streams) {
        stream.emit("error", { code: grpc.status.UNAVAILABLE, details: "server is shutting down" });
      }
      streams.clear();
    },
  };
}

// "grpc.reflection.v1.ServerReflection" from the path of the service's first method.
function serviceName(definition: grpc.ServiceDefinition): string {
  return Object.values(definition)[0]!.path.split("/")[1]!;
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
