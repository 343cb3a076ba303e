/**
 * The gRPC server: GpuService handlers, listeners and lifecycle.
 *
 * @module
 */
export {
  type BoundListeners,
  DeviceApiServer,
  type DeviceApiServerOptions,
  type ExtraService,
  isLoopback,
  type ServerState,
} from "./server.ts";
export { onShutdownSignals, type ShutdownHandlers } from "./signals.ts";
export { codeName, isInternal, PermissionDeniedError, toGrpcError } from "./status.ts";
export { PROVIDER_METADATA_KEY, providerOf } from "./provider_identity.ts";
export { reflectionService } from "./reflection.ts";
