/**
 * Health and readiness: the HTTP probe endpoints and the gRPC health service.
 *
 * @module
 */
export {
  DEFAULT_MAX_HEALTH_WATCHES,
  GrpcHealth,
  type GrpcHealthOptions,
  HEALTH_SERVICE,
  type ServingStatus,
} from "./grpc_health.ts";
export {
  type CheckResult,
  gpuGate,
  type GpuGateOptions,
  Readiness,
  type ReadinessCheck,
} from "./readiness.ts";
export { healthResponse, type HttpEndpoint, serveHealth, serveHttp } from "./http_server.ts";
