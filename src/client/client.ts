/**
 * A small typed client of the Device API for consumers and providers.
 *
 * @example Usage
 * ```ts
 * import { DeviceApiClient } from "./client.ts";
 * const client = new DeviceApiClient("unix:///var/run/device-api/device.sock", { provider: "my-monitor" });
 * try {
 *   const { items, resourceVersion } = await client.list();
 *   console.log(`${items.length} GPUs at version ${resourceVersion}`);
 *   for await (const event of client.watch({ resourceVersion })) {
 *     console.log(event.type, event.object.metadata.name);
 *     break; // a consumer keeps watching; the example stops at the first event
 *   }
 * } catch (err) {
 *   console.error(`no server: ${err}`); // fails at once when nothing listens
 * } finally {
 *   client.close();
 * }
 * ```
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { callUnary, identityMetadata } from "./_unary.ts";
import { defaultEndpoint, type Endpoint } from "./endpoint.ts";
import { type ResumableOptions, watchResumable } from "./resumable.ts";
import { GPU_SERVICE, serviceDefinition } from "../api/mod.ts";
import type { DeepPartial, Gpu, GpuStatus, ListOptions, WatchEventType } from "../api/mod.ts";

export { PROVIDER_HEADER } from "./_unary.ts";

/** Options of {@linkcode DeviceApiClient}. */
export interface ClientOptions {
  /** Provider identity sent with every call; none for an anonymous client. */
  provider?: string;
  /** Channel credentials; plaintext when absent. */
  credentials?: grpc.ChannelCredentials;
  /** Per-call deadline in milliseconds for unary calls (default 10 s). */
  timeoutMs?: number;
  /** Extra grpc-js channel options. */
  channelOptions?: grpc.ChannelOptions;
}

/** One watch event. */
export interface WatchEvent {
  type: WatchEventType;
  object: Gpu;
}

/** Options of {@linkcode DeviceApiClient.watch}. */
export type WatchOptions = Partial<ListOptions>;

const Client = grpc.makeGenericClientConstructor(serviceDefinition(GPU_SERVICE), "GpuService");

type StreamFn = (req: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<WatchEvent>;

/** Typed client of the GpuService. */
export class DeviceApiClient {
  /** The underlying grpc-js client, for advanced use. */
  readonly grpc: grpc.Client;
  readonly #provider: string | undefined;
  readonly #timeoutMs: number;

  /**
   * Connects lazily to `target`: a grpc-js target (`unix:///path`, `host:port`), a parsed
   * {@linkcode Endpoint}, or, when absent, `DEVICE_API_ENDPOINT` (default: the server's socket
   * `unix:///var/run/device-api/device.sock`; reading it needs `--allow-env`).
   */
  constructor(target?: string | Endpoint, options: ClientOptions = {}) {
    const resolved = target === undefined
      ? defaultEndpoint().target
      : typeof target === "string"
      ? target
      : target.target;
    this.grpc = new Client(resolved, options.credentials ?? grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      ...options.channelOptions,
    });
    this.#provider = options.provider;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * Reads one GPU (namespace "" means "default"); `resourceVersion` is only checked by the
   * server (reads always return the latest state).
   */
  get(name: string, namespace = "", resourceVersion = ""): Promise<Gpu> {
    return this.#unary("GetGpu", { name, opts: { namespace, resourceVersion } });
  }

  /** Lists GPUs, with the version the list is consistent at. */
  async list(opts: Partial<ListOptions> = {}): Promise<{ items: Gpu[]; resourceVersion: string }> {
    const res = await this.#unary<
      { gpuList: { metadata: { resourceVersion: string }; items: Gpu[] } }
    >(
      "ListGpus",
      { opts },
    );
    return { items: res.gpuList.items, resourceVersion: res.gpuList.metadata.resourceVersion };
  }

  /** Creates a GPU; `created` is false when it already existed with the same uuid. */
  create(gpu: DeepPartial<Gpu>): Promise<{ gpu: Gpu; created: boolean }> {
    return this.#unary("CreateGpu", { gpu });
  }

  /** Replaces spec, labels and annotations. */
  update(gpu: DeepPartial<Gpu>): Promise<Gpu> {
    return this.#unary("UpdateGpu", { gpu });
  }

  /**
   * Replaces the whole status; `resourceVersion` > 0 makes it conditional; namespace "" means
   * "default".
   */
  updateStatus(
    name: string,
    status: DeepPartial<GpuStatus>,
    resourceVersion = 0,
    namespace = "",
  ): Promise<Gpu> {
    return this.#unary("UpdateGpuStatus", { name, namespace, status, resourceVersion });
  }

  /** Deletes a GPU (namespace "" means "default"). */
  async delete(name: string, namespace = ""): Promise<void> {
    await this.#unary("DeleteGpu", { name, namespace });
  }

  /**
   * Watches GPUs as an async iterator. With no `resourceVersion`, one ADDED
   * per existing GPU comes first; with a version, every event after it
   * (resume). Breaking out of the loop cancels the stream. Errors (e.g.
   * OUT_OF_RANGE: re-list and re-watch) are thrown from the iterator.
   */
  watch(opts: WatchOptions = {}): AsyncIterableIterator<WatchEvent> & { cancel(): void } {
    const watchFn = (this.grpc as unknown as Record<string, StreamFn>).WatchGpus!.bind(this.grpc);
    const call = watchFn({ opts }, this.#metadata());
    const iterator = eventIterator(call);
    return Object.assign(iterator, { cancel: () => call.cancel() });
  }

  /**
   * Watches with automatic resume: when the stream breaks (server restart, UNAVAILABLE,
   * network, eviction), it re-watches from the last live event or bookmark, with exponential
   * backoff and jitter, so the caller sees every change once, in order (see `resumable.ts` for
   * breaks during the initial events). Throws what a re-watch cannot fix: OUT_OF_RANGE (re-list,
   * then watch again from the list's version), UNAUTHENTICATED, PERMISSION_DENIED,
   * INVALID_ARGUMENT, UNIMPLEMENTED, FAILED_PRECONDITION.
   */
  watchResumable(
    opts: WatchOptions = {},
    options: ResumableOptions = {},
  ): AsyncGenerator<WatchEvent> {
    return watchResumable((o) => this.watch(o), opts, options);
  }

  /** Closes the channel. */
  close(): void {
    this.grpc.close();
  }

  #metadata(): grpc.Metadata {
    return identityMetadata(this.#provider);
  }

  #unary<T>(method: string, req: unknown): Promise<T> {
    return callUnary(this.grpc, method, req, {
      provider: this.#provider,
      timeoutMs: this.#timeoutMs,
    });
  }
}

// Adapts a grpc-js readable stream to an async iterator with bounded buffering:
// the stream is paused while decoded events wait to be consumed.
function eventIterator<T>(call: grpc.ClientReadableStream<T>): AsyncIterableIterator<T> {
  const buffered: T[] = [];
  let error: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  call.on("data", (event: T) => {
    buffered.push(event);
    if (buffered.length >= 64) call.pause();
    notify();
  });
  call.on("error", (err) => {
    if ((err as grpc.ServiceError).code !== grpc.status.CANCELLED) error = err;
    ended = true;
    notify();
  });
  call.on("end", () => {
    ended = true;
    notify();
  });
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      while (buffered.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
      if (buffered.length > 0) {
        const value = buffered.shift()!;
        if (buffered.length < 16) call.resume();
        return { value, done: false };
      }
      if (error) throw error;
      return { value: undefined, done: true };
    },
    return(): Promise<IteratorResult<T>> {
      call.cancel();
      ended = true;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
