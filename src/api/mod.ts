/**
 * The wire contract: message shapes, protobuf encoding and the grpc-js
 * service definitions.
 *
 * @module
 */
export * from "./types.ts";
export * from "./codec.ts";
export {
  contractFiles,
  GPU_PROTO,
  HEALTH_PROTO,
  messageType,
  PROTO_DIR,
  protoRoot,
  PROVIDER_PROTO,
} from "./proto_root.ts";
export * from "./service_definition.ts";
export * from "./provider_types.ts";
export { wireProblem } from "./wire_check.ts";
export {
  gpuListToJson,
  gpuToJson,
  messageToJson,
  providerToJson,
  timestampToJson,
  watchEventToJson,
} from "./proto_json.ts";
export type { JsonObject, JsonValue } from "./proto_json.ts";
