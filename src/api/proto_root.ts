/**
 * Loads the wire contract's protobuf definitions once per process.
 *
 * The .proto files are imported as text modules: they are part of the
 * module graph, so `deno compile` embeds them and the server reads no file
 * (and needs no read permission) to load its contract, wherever it runs.
 *
 * @module
 */
import protobuf from "protobufjs";
import gpuProto from "../../proto/device/v1alpha1/gpu.proto" with { type: "text" };
import providerProto from "../../proto/device/v1alpha1/provider.proto" with { type: "text" };
import serverInfoProto from "../../proto/device/v1alpha1/server_info.proto" with { type: "text" };
import healthProto from "../../proto/grpc/health/v1/health.proto" with { type: "text" };

/** Directory holding `device/v1alpha1/gpu.proto` and the other contract files (for tools and tests). */
export const PROTO_DIR: string = new URL("../../proto/", import.meta.url).pathname;

/** Path of the GpuService contract, relative to {@linkcode PROTO_DIR}. */
export const GPU_PROTO = "device/v1alpha1/gpu.proto";

/** Path of the ProviderService contract, relative to {@linkcode PROTO_DIR}. */
export const PROVIDER_PROTO = "device/v1alpha1/provider.proto";

/** Path of the ServerInfoService (the server's version), relative to {@linkcode PROTO_DIR}. */
export const SERVER_INFO_PROTO = "device/v1alpha1/server_info.proto";

/** Path of the standard gRPC health protocol, relative to {@linkcode PROTO_DIR}. */
export const HEALTH_PROTO = "grpc/health/v1/health.proto";

/** Well-known types bundled with protobufjs, so no include path is needed for them. */
const WELL_KNOWN = [
  "google/protobuf/duration.proto",
  "google/protobuf/empty.proto",
  "google/protobuf/timestamp.proto",
  "google/protobuf/descriptor.proto",
];

let cached: protobuf.Root | undefined;

/**
 * Returns the protobufjs root with every contract file loaded and resolved.
 *
 * @returns the shared, fully resolved root
 * @throws {Error} when a .proto file is missing or does not parse
 */
export function protoRoot(): protobuf.Root {
  if (cached) return cached;
  const root = new protobuf.Root();
  for (const name of WELL_KNOWN) {
    const json = (protobuf.common as unknown as Record<string, protobuf.INamespace>)[name];
    if (json?.nested) root.addJSON(json.nested);
  }
  for (const file of contractFiles()) protobuf.parse(SOURCES[file]!, root, { keepCase: false });
  root.resolveAll();
  cached = root;
  return root;
}

/** The contract's own .proto files, relative to {@linkcode PROTO_DIR}. */
export function contractFiles(): string[] {
  return [GPU_PROTO, PROVIDER_PROTO, SERVER_INFO_PROTO, HEALTH_PROTO];
}

/** The text of each contract file. */
const SOURCES: Readonly<Record<string, string>> = {
  [GPU_PROTO]: gpuProto,
  [PROVIDER_PROTO]: providerProto,
  [SERVER_INFO_PROTO]: serverInfoProto,
  [HEALTH_PROTO]: healthProto,
};

/** Looks up a message type of the contract by its full name. */
export function messageType(fullName: string): protobuf.Type {
  return protoRoot().lookupType(fullName);
}
