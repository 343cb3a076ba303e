/**
 * gRPC server reflection, so `grpcurl -plaintext -unix <socket> list` works
 * without a local copy of the proto.
 *
 * The streams of @grpc/reflection are tracked here, so that shutdown can end
 * them (grpc-js never finishes a drain while a stream is open).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoRoot } from "../api/mod.ts";
import type { ExtraService } from "./server.ts";

type ReflectionStream = grpc.ServerDuplexStream<unknown, unknown>;

/** Builds the reflection service over every contract file. */
export function reflectionService(): ExtraService {
  // From the already-loaded root: no second read of the .proto files.
  const definitions = protoLoader.fromJSON(protoRoot().toJSON());
  const reflection = new ReflectionService(definitions);
  const streams = new Set<ReflectionStream>();
  return {
    addTo: (server: grpc.Server) =>
      reflection.addToServer({
        addService: (service, implementation) =>
          server.addService(service, tracked(implementation, streams)),
      }),
    closeStreams: () => {
      for (const stream of streams) {
        stream.emit("error", { code: grpc.status.UNAVAILABLE, details: "server is shutting down" });
      }
      streams.clear();
    },
  };
}

// Wraps every bidi handler so its open streams sit in `streams` until they end.
function tracked(
  implementation: grpc.UntypedServiceImplementation,
  streams: Set<ReflectionStream>,
): grpc.UntypedServiceImplementation {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(implementation)) {
    wrapped[name] = (stream: ReflectionStream) => {
      streams.add(stream);
      const forget = () => streams.delete(stream);
      stream.on("cancelled", forget);
      stream.on("close", forget);
      stream.on("finish", forget);
      (handler as (s: ReflectionStream) => void)(stream);
    };
  }
  return wrapped;
}
