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
  type ServerState,
  type StopOptions,
  type TransportLimits,
} from "./server.ts";
export { connectionTag, type ListenerName, type Peer, peerOf } from "./peer.ts";
export {
  WatchQuota,
  type WatchQuotaLimits,
  type WatchQuotaName,
  type WatchQuotaOptions,
} from "./watch_quota.ts";
export { SOCKET_CHECK_INTERVAL_MS } from "./unix_listener.ts";
export { privateBindPath } from "./unix_socket.ts";
export { DUPLICATE_WINDOW_MS, onShutdownSignals, type ShutdownHandlers } from "./signals.ts";
export { codeName, isInternal, PermissionDeniedError, toGrpcError } from "./status.ts";
export { PROVIDER_METADATA_KEY, providerOf, validateProviderName } from "./provider_identity.ts";
export {
  DEFAULT_MAX_REFLECTION_STREAMS,
  type Reflection,
  type ReflectionOptions,
  reflectionService,
} from "./reflection.ts";
export { unary, type UnaryContext, type UnaryOperation } from "./unary.ts";
export { type CallListener, type CallStatus, ListeningCall } from "./listening_call.ts";
