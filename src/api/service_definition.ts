/**
 * grpc-js service definitions built from the contract's protobuf root, with
 * serializers that pass pre-encoded bytes through untouched (public grpc-js
 * API: custom serializers on the definition, no patching).
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type protobuf from "protobufjs";
import { asBuffer, decodeMessage, encodeMessage, TO_OBJECT } from "./codec.ts";
import { protoRoot } from "./proto_root.ts";

/** Full name of the GpuService. */
export const GPU_SERVICE = "nvidia.device.v1alpha1.GpuService";

/** Full name of the ProviderService (registration, leases, condition-level writes). */
export const PROVIDER_SERVICE = "nvidia.device.v1alpha1.ProviderService";

/**
 * Builds the grpc-js definition of a service of the contract.
 *
 * Server side, request decoding never throws (see `decodeMessage`), and a
 * response given as bytes is sent as is. Client side, requests are encoded
 * from plain objects and responses decoded into the shapes of `types.ts`.
 *
 * @param fullName the service's full protobuf name
 * @returns the definition, usable by `server.addService` and `makeGenericClientConstructor`
 */
export function serviceDefinition(fullName: string): grpc.ServiceDefinition {
  const service = protoRoot().lookupService(fullName);
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = method.resolvedRequestType!;
    const res = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      originalName: method.name,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: (value: unknown) => passOrEncode(req, value),
      requestDeserialize: (bytes: Buffer) => decodeMessage(req, bytes),
      responseSerialize: (value: unknown) => passOrEncode(res, value),
      responseDeserialize: (bytes: Buffer) => res.toObject(res.decode(bytes), TO_OBJECT),
    };
  }
  return definition;
}

// fromObject converts enum names, longs and nested plain objects, so callers
// may pass the shapes `toObject` produces.
function passOrEncode(type: protobuf.Type, value: unknown): Buffer {
  return value instanceof Uint8Array
    ? asBuffer(value)
    : encodeMessage(type, type.fromObject(value as Record<string, unknown>));
}
