/**
 * Loads the wire contract's protobuf definitions once per process.
 *
 * The .proto files are read through `import.meta` (never the working
 * directory) so that the compiled binary finds the copies embedded in it.
 *
 * @module
 */
import protobuf from "protobufjs";

/** Directory holding `device/v1alpha1/gpu.proto` and the other contract files. */
export const PROTO_DIR: string = new URL("../../proto/", import.meta.url).pathname;

/** Path of the GpuService contract, relative to {@linkcode PROTO_DIR}. */
export const GPU_PROTO = "device/v1alpha1/gpu.proto";

/** Path of the ProviderService contract, relative to {@linkcode PROTO_DIR}. */
export const PROVIDER_PROTO = "device/v1alpha1/provider.proto";

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
  for (const file of contractFiles()) {
    const text = Deno.readTextFileSync(PROTO_DIR + file);
    protobuf.parse(text, root, { keepCase: false });
  }
  root.resolveAll();
  cached = root;
  return root;
}

/** The contract's own .proto files, relative to {@linkcode PROTO_DIR}. */
export function contractFiles(): string[] {
  return [GPU_PROTO, PROVIDER_PROTO, HEALTH_PROTO];
}

/** Looks up a message type of the contract by its full name. */
export function messageType(fullName: string): protobuf.Type {
  return protoRoot().lookupType(fullName);
}
