/**
 * The ServerInfoService: `device-api-server version` asks the server which release answers.
 * It reads no GPU, so the read-only consumer socket serves it as well.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../api/mod.ts";
import type { ExtraService } from "../server/mod.ts";
import { VERSION } from "./_release.ts";

/** Full name of the ServerInfoService. */
export const SERVER_INFO_SERVICE = "nvidia.device.v1alpha1.ServerInfoService";

/** The ServerVersion message. */
export interface ServerVersion {
  /** Release version, e.g. "0.1.0". */
  readonly version: string;
  /** Runtime, e.g. "deno 2.9.6". */
  readonly runtime: string;
  /** Operating system and architecture, e.g. "linux x86_64". */
  readonly platform: string;
}

/**
 * This process's release and runtime as the ServerVersion message carries them.
 *
 * @returns the version, runtime and platform
 * @example Usage
 * ```ts
 * import { serverVersion } from "./service.ts";
 * serverVersion().runtime.startsWith("deno "); // true
 * ```
 */
export function serverVersion(): ServerVersion {
  return {
    version: VERSION,
    runtime: `deno ${Deno.version.deno}`,
    platform: `${Deno.build.os} ${Deno.build.arch}`,
  };
}

/**
 * The ServerInfoService, to register next to the GpuService.
 *
 * @returns the service, answering GetServerVersion on every listener
 */
export function serverInfoService(): ExtraService {
  const definition = serviceDefinition(SERVER_INFO_SERVICE);
  const answer = serverVersion();
  const handlers: grpc.UntypedServiceImplementation = {
    GetServerVersion: (_call: unknown, callback: grpc.sendUnaryData<ServerVersion>) =>
      callback(null, answer),
  };
  return { addTo: (server: grpc.Server) => server.addService(definition, handlers) };
}
