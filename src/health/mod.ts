/**
 * Health and readiness: the HTTP probe endpoints and the gRPC health service.
 *
 * @module
 */
export { GrpcHealth, HEALTH_SERVICE, type ServingStatus } from "./grpc_health.ts";
export {
  type CheckResult,
  gpuGate,
  type GpuGateOptions,
  Readiness,
  type ReadinessCheck,
} from "./readiness.ts";
export { healthResponse, type HttpEndpoint, serveHealth, serveHttp } from "./http_server.ts";
