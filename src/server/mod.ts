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
  type StopOptions,
} from "./server.ts";
export { DUPLICATE_WINDOW_MS, onShutdownSignals, type ShutdownHandlers } from "./signals.ts";
export { codeName, isInternal, PermissionDeniedError, toGrpcError } from "./status.ts";
export { PROVIDER_METADATA_KEY, providerOf, validateProviderName } from "./provider_identity.ts";
export { reflectionService } from "./reflection.ts";
