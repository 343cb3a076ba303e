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
import { providerOf } from "./provider_identity.ts";
import { isInternal, PermissionDeniedError, toGrpcError } from "./status.ts";

/** Options of {@linkcode gpuServiceHandlers}. */
export interface GpuServiceOptions {
  /** Answer every write with PERMISSION_DENIED (the consumer socket). */
  readOnly: boolean;
  logger: Logger;
}

type Unary = grpc.handleUnaryCall<unknown, Uint8Array>;
type Req<T> = DeepPartial<T>;

const EMPTY = new Uint8Array(0);

/** Builds the GpuService implementation over a store. */
export function gpuServiceHandlers(
  store: GpuStore,
  options: GpuServiceOptions,
): grpc.UntypedServiceImplementation {
  const log = options.logger.withName("gpu-service");

  // Runs one unary call: decode check, identity, the store operation, and
  // the mapping of its outcome to a response or a status.
  function unary<T>(
    method: string,
    write: boolean,
    run: (req: T, ctx: WriteContext) => Promise<Uint8Array>,
  ): Unary {
    return (call, callback) => {
      const req = call.request;
      let ctx: WriteContext;
      try {
        if (isDecodeFailure(req)) {
          throw new InvalidArgumentError("request", `malformed message: ${req.decodeError}`);
        }
        if (write && options.readOnly) {
          throw new PermissionDeniedError(`${method} is a write; this listener serves reads only`);
        }
        ctx = { provider: write ? providerOf(call.metadata) : "" };
      } catch (err) {
        return fail(method, err, callback);
      }
      run(req as T, ctx).then(
        (bytes) => callback(null, bytes),
        (err) => fail(method, err, callback),
      );
    };
  }

  function fail(method: string, err: unknown, callback: grpc.sendUnaryData<Uint8Array>): void {
    const status = toGrpcError(err);
    if (isInternal(err)) log.error(err, "Request failed with an internal error", "method", method);
    else {log.V(2).info(
        "Request failed",
        "method",
        method,
        "code",
        status.code,
        "details",
        status.details,
      );}
    callback(status);
  }

  return {
    GetGpu: unary<Req<{ name: string; opts: { namespace: string; resourceVersion: string } }>>(
      "GetGpu",
      false,
      async (req) => {
        // Checked, never honoured: reads always serve the latest state.
        parseResourceVersion("opts.resource_version", req.opts?.resourceVersion);
        return await store.getEncoded(req.opts?.namespace ?? "", req.name ?? "");
      },
    ),
    ListGpus: unary<Req<{ opts: ListOptions }>>("ListGpus", false, async (req) => {
      const opts = req.opts ?? {};
      parseResourceVersion("opts.resource_version", opts.resourceVersion);
      return await store.listEncoded({
        namespace: opts.namespace ?? "",
        labelSelector: opts.labelSelector ?? "",
      });
    }),
    WatchGpus: (call: grpc.ServerWritableStream<unknown, Uint8Array>) =>
      watchGpus(store, log, call),
    CreateGpu: unary<Req<{ gpu: Gpu }>>("CreateGpu", true, async (req, ctx) => {
      const { stored, created } = await store.create(req.gpu ?? null, ctx);
      if (created) {
        log.V(2).info("GPU created", "gpu", stored.gpu.metadata.name, "provider", ctx.provider);
      }
      return encodeCreateResponse(stored.bytes, created);
    }),
    UpdateGpu: unary<Req<{ gpu: Gpu }>>(
      "UpdateGpu",
      true,
      async (req, ctx) => (await store.update(req.gpu ?? null, ctx)).bytes,
    ),
    UpdateGpuStatus: unary<
      Req<{ name: string; namespace: string; status: GpuStatus; resourceVersion: number }>
    >(
      "UpdateGpuStatus",
      true,
      async (req, ctx) =>
        (await store.updateStatus(
          {
            namespace: req.namespace ?? "",
            name: req.name ?? "",
            status: req.status ?? null,
            resourceVersion: req.resourceVersion ?? 0,
          },
          ctx,
        )).bytes,
    ),
    DeleteGpu: unary<Req<{ name: string; namespace: string }>>(
      "DeleteGpu",
      true,
      async (req, ctx) => {
        const { gpu } = await store.delete(req.namespace ?? "", req.name ?? "", ctx);
        log.V(2).info("GPU deleted", "gpu", gpu.metadata.name, "provider", ctx.provider);
        return EMPTY;
      },
    ),
  };
}

// A watch stream: the store registers a watcher whose sink is this call;
// grpc-js back-pressure ('drain') and cancellation drive it.
function watchGpus(
  store: GpuStore,
  log: Logger,
  call: grpc.ServerWritableStream<unknown, Uint8Array>,
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
