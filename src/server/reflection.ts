/**
 * gRPC server reflection, so `grpcurl -plaintext -unix <socket> list` works
 * without a local copy of the proto.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoRoot } from "../api/mod.ts";
import type { ExtraService } from "./server.ts";

/** Builds the reflection service over every contract file. */
export function reflectionService(): ExtraService {
  // From the already-loaded root: no second read of the .proto files.
  const definitions = protoLoader.fromJSON(protoRoot().toJSON());
  const reflection = new ReflectionService(definitions);
  return { addTo: (server: grpc.Server) => reflection.addToServer(server) };
}
