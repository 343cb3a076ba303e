/**
 * Counts every successful GpuService write under a provider's identity as
 * that provider's heartbeat, including writes that change nothing (which
 * commit nothing, so the store's commit hook never sees them): a provider
 * that re-sends an unchanged status keeps its lease.
 *
 * @module
 */
import {
  type Metadata,
  ResponderBuilder,
  ServerInterceptingCall,
  type ServerInterceptor,
  ServerListenerBuilder,
  status as Status,
} from "@grpc/grpc-js";
import { GPU_SERVICE } from "../api/mod.ts";
import { providerOf } from "../server/mod.ts";

/** The GpuService methods that write. */
const WRITES = new Set(
  ["CreateGpu", "UpdateGpu", "UpdateGpuStatus", "DeleteGpu"].map((m) => `/${GPU_SERVICE}/${m}`),
);

/** What the interceptor records; ProviderLeases is one. */
export interface HeartbeatSink {
  heartbeat(provider: string): void;
}

/**
 * Builds a server interceptor that heartbeats the calling provider when a
 * GpuService write succeeds (a write refused on the read-only consumer
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
    let provider = "";
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata: Metadata, next) => {
        provider = identityOf(metadata);
        next(metadata);
      })
      .build();
    const responder = new ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        if (status.code === Status.OK && provider !== "") sink.heartbeat(provider);
        next(status);
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}

// A malformed identity fails the call itself; here it just means no heartbeat.
function identityOf(metadata: Metadata): string {
  try {
    return providerOf(metadata);
  } catch {
    return "";
  }
}
