/**
 * The GpuService handlers: thin adapters from gRPC calls to the store.
 *
 * Responses are pre-encoded bytes from the store (see `docs/performance.md`);
 * every failure is mapped once, in `status.ts`.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { isDecodeFailure } from "../api/mod.ts";
import type { DeepPartial, Gpu, GpuStatus, ListOptions } from "../api/mod.ts";
import { encodeCreateResponse } from "../api/mod.ts";
import {
  type CacheError,
  type GpuStore,
  InvalidArgumentError,
  parseResourceVersion,
  type WriteContext,
} from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import { peerOf } from "./peer.ts";
import { isInternal, toGrpcError } from "./status.ts";
import { unary } from "./unary.ts";
import type { WatchQuota } from "./watch_quota.ts";

/** Options of {@linkcode gpuServiceHandlers}. */
export interface GpuServiceOptions {
  /** Answer every write with PERMISSION_DENIED (the consumer socket). */
  readOnly: boolean;
  logger: Logger;
  /** Watch slots per connection and listener; unlimited when absent. */
  watchQuota?: WatchQuota;
}

type Req<T> = DeepPartial<T>;

const EMPTY = new Uint8Array(0);

/** Builds the GpuService implementation over a store. */
export function gpuServiceHandlers(
  store: GpuStore,
  options: GpuServiceOptions,
): grpc.UntypedServiceImplementation {
  const log = options.logger.withName("gpu-service");
  const context = { readOnly: options.readOnly, log };
  // Every write carries the caller's provider identity into the store.
  const read = <T>(method: string, run: (req: T) => Promise<Uint8Array>) =>
    unary<T, Uint8Array>(method, false, context, (req) => run(req));
  const write = <T>(method: string, run: (req: T, ctx: WriteContext) => Promise<Uint8Array>) =>
    unary<T, Uint8Array>(method, true, context, (req, provider) => run(req, { provider }));

  return {
    GetGpu: read<Req<{ name: string; opts: { namespace: string; resourceVersion: string } }>>(
      "GetGpu",
      (req) => {
        // Checked, never honoured: reads always serve the latest state.
        parseResourceVersion("opts.resource_version", req.opts?.resourceVersion);
        return store.getEncoded(req.opts?.namespace ?? "", req.name ?? "");
      },
    ),
    ListGpus: read<Req<{ opts: ListOptions }>>("ListGpus", (req) => {
      const opts = req.opts ?? {};
      parseResourceVersion("opts.resource_version", opts.resourceVersion);
      return store.listEncoded({
        namespace: opts.namespace ?? "",
        labelSelector: opts.labelSelector ?? "",
      });
    }),
    WatchGpus: (call: grpc.ServerWritableStream<unknown, Uint8Array>) =>
      watchGpus(store, log, call, options.watchQuota),
    CreateGpu: write<Req<{ gpu: Gpu }>>("CreateGpu", async (req, ctx) => {
      const { stored, created } = await store.create(req.gpu ?? null, ctx);
      if (created) {
        log.V(2).info("GPU created", "gpu", stored.gpu.metadata.name, "provider", ctx.provider);
      }
      return encodeCreateResponse(stored.bytes, created);
    }),
    UpdateGpu: write<Req<{ gpu: Gpu }>>(
      "UpdateGpu",
      async (req, ctx) => (await store.update(req.gpu ?? null, ctx)).bytes,
    ),
    UpdateGpuStatus: write<
      Req<{ name: string; namespace: string; status: GpuStatus; resourceVersion: number }>
    >(
      "UpdateGpuStatus",
      async (req, ctx) =>
        (await store.updateStatus(
          {
            name: req.name ?? "",
            namespace: req.namespace ?? "",
            status: req.status ?? null,
            resourceVersion: req.resourceVersion ?? 0,
          },
          ctx,
        )).bytes,
    ),
    DeleteGpu: write<Req<{ name: string; namespace: string }>>("DeleteGpu", async (req, ctx) => {
      const { gpu } = await store.delete(req.namespace ?? "", req.name ?? "", ctx);
      log.V(2).info("GPU deleted", "gpu", gpu.metadata.name, "provider", ctx.provider);
      return EMPTY;
    }),
  };
}

// A watch stream: the store registers a watcher whose sink is this call;
// grpc-js back-pressure ('drain') and cancellation drive it.
function watchGpus(
  store: GpuStore,
  log: Logger,
  call: grpc.ServerWritableStream<unknown, Uint8Array>,
  quota: WatchQuota | undefined,
): void {
  const failCall = (err: unknown) => {
    if (isInternal(err)) log.error(err, "Watch failed with an internal error");
    call.emit("error", toGrpcError(err));
  };
  const req = call.request as Req<{ opts: ListOptions }>;
  let fromVersion: number | null;
  try {
    if (isDecodeFailure(req)) {
      throw new InvalidArgumentError("request", `malformed message: ${req.decodeError}`);
    }
    const version = parseResourceVersion("opts.resource_version", req.opts?.resourceVersion);
    fromVersion = version === 0 ? null : version;
    // The slot is held until the call ends, however it ends.
    const release = quota?.acquire(peerOf(call.getPeer()));
    if (release) { for (const end of ["close", "cancelled", "finish"]) call.once(end, release); }
  } catch (err) {
    return failCall(err);
  }
  const opts = req.opts ?? {};
  store.watch({
    namespace: opts.namespace ?? "",
    labelSelector: opts.labelSelector ?? "",
    bookmarks: !!opts.allowWatchBookmarks,
    fromVersion,
    sink: {
      write: (bytes) => call.write(bytes),
      // Evictions and shutdown are logged where they are decided, once.
      fail: (err: CacheError) => failCall(err),
    },
  }).then((watcher) => {
    if (call.cancelled) return watcher.close();
    call.on("drain", () => watcher.drained());
    call.on("cancelled", () => watcher.close());
    call.on("close", () => watcher.close());
  }, failCall);
}
