/**
 * The one place where a provider's writes count as its heartbeat: every
 * successful write RPC under a provider's identity (the GpuService writes and
 * ProviderService.SetConditions), including writes that change nothing, so a
 * provider that re-sends an unchanged status keeps its lease. The in-process
 * NVML provider writes without RPCs: {@linkcode heartbeatingWriter} records
 * its writes through the same sink.
 *
 * @module
 */
import {
  type Metadata,
  type ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  status as Status,
} from "@grpc/grpc-js";
import { GPU_SERVICE, PROVIDER_SERVICE } from "../api/mod.ts";
import type { GpuStateWriter } from "../nvml/mod.ts";
import { type CallStatus, ListeningCall, providerOf } from "../server/mod.ts";

/** The methods whose success is a sign of life of the calling provider. */
const WRITES = new Set([
  ...["CreateGpu", "UpdateGpu", "UpdateGpuStatus", "DeleteGpu"].map((m) => `/${GPU_SERVICE}/${m}`),
  `/${PROVIDER_SERVICE}/SetConditions`,
]);

/** What the interceptor records; ProviderLeases is one. */
export interface HeartbeatSink {
  heartbeat(provider: string): void;
}

/**
 * Wraps an in-process writer (the NVML provider's) so that each successful
 * write heartbeats the provider it writes as, like a write RPC does.
 *
 * @param writer the writer to wrap
 * @param sink where heartbeats go
 * @param provider the name the writer writes as
 * @returns a writer with the same behaviour plus heartbeats
 */
export function heartbeatingWriter(
  writer: GpuStateWriter,
  sink: HeartbeatSink,
  provider: string,
): GpuStateWriter {
  return {
    async ensureGpu(name, spec) {
      await writer.ensureGpu(name, spec);
      sink.heartbeat(provider);
    },
    async writeStatus(name, conditions, action) {
      const shown = await writer.writeStatus(name, conditions, action);
      sink.heartbeat(provider);
      return shown;
    },
  };
}

/**
 * Builds a server interceptor that heartbeats the calling provider when a
 * write RPC succeeds (a write refused on the read-only consumer
 * socket does not succeed, so it never counts).
 *
 * @param sink where heartbeats go
 * @returns the interceptor, for `new Server({ interceptors })`
 */
export function heartbeatInterceptor(sink: HeartbeatSink): ServerInterceptor {
  return (method, call) => {
    // A read passes through untouched: no extra intercepting layer on the hot path (grpc-js only
    // uses the call's public interface, which the call it hands in already has).
    if (!WRITES.has(method.path)) return call as ServerInterceptingCall;
    return new HeartbeatCall(call, sink);
  };
}

// A write call, one object: it learns the caller's identity from the metadata and heartbeats it
// when the call succeeds.
class HeartbeatCall extends ListeningCall {
  readonly #sink: HeartbeatSink;
  #provider = "";

  constructor(call: ServerInterceptingCallInterface, sink: HeartbeatSink) {
    super(call);
    this.#sink = sink;
  }

  override onReceiveMetadata(metadata: Metadata): void {
    this.#provider = identityOf(metadata);
    super.onReceiveMetadata(metadata);
  }

  override sendStatus(status: CallStatus): void {
    if (status.code === Status.OK && this.#provider !== "") this.#sink.heartbeat(this.#provider);
    super.sendStatus(status);
  }
}

// A malformed identity fails the call itself; here it just means no heartbeat.
function identityOf(metadata: Metadata): string {
  try {
    return providerOf(metadata);
  } catch {
    return "";
  }
}
