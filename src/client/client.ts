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

// Errors a re-watch cannot fix; everything else (UNAVAILABLE, CANCELLED by a
// broken connection, RESOURCE_EXHAUSTED after falling behind) is retried.
const FATAL_WATCH_CODES = new Set([
  grpc.status.OUT_OF_RANGE,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNIMPLEMENTED,
]);

const Client = grpc.makeGenericClientConstructor(serviceDefinition(GPU_SERVICE), "GpuService");

type StreamFn = (req: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<WatchEvent>;

/** Typed client of the GpuService. */
export class DeviceApiClient {
  /** The underlying grpc-js client, for advanced use. */
  readonly grpc: grpc.Client;
  readonly #provider: string | undefined;
  readonly #timeoutMs: number;

  /**
   * Connects lazily to `target` (`unix:///path` or `host:port`).
   */
  constructor(target: string, options: ClientOptions = {}) {
    this.grpc = new Client(target, options.credentials ?? grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      ...options.channelOptions,
    });
    this.#provider = options.provider;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Reads one GPU (namespace "" means "default"). */
  get(name: string, namespace = ""): Promise<Gpu> {
    return this.#unary("GetGpu", { name, opts: { namespace } });
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

  /** Replaces the whole status; `resourceVersion` > 0 makes it conditional. */
  updateStatus(name: string, status: DeepPartial<GpuStatus>, resourceVersion = 0): Promise<Gpu> {
    return this.#unary("UpdateGpuStatus", { name, status, resourceVersion });
  }

  /** Deletes a GPU. */
  async delete(name: string): Promise<void> {
    await this.#unary("DeleteGpu", { name });
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
   * Watches with automatic resume: when the stream breaks (server restart,
   * UNAVAILABLE, network), it re-watches from the last version it delivered,
   * so the caller sees every event once, in order. Errors that a re-watch
   * cannot fix are thrown: OUT_OF_RANGE (re-list, then watch again from the
   * list's version), INVALID_ARGUMENT, PERMISSION_DENIED.
   */
  async *watchResumable(
    opts: WatchOptions = {},
    options: { retryDelayMs?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<WatchEvent> {
    let resourceVersion = opts.resourceVersion ?? "";
    while (!options.signal?.aborted) {
      const stream = this.watch({ ...opts, resourceVersion });
      const abort = () => stream.cancel();
      options.signal?.addEventListener("abort", abort, { once: true });
      try {
        for await (const event of stream) {
          resourceVersion = event.object.metadata.resourceVersion;
          yield event;
        }
      } catch (err) {
        if (FATAL_WATCH_CODES.has((err as grpc.ServiceError).code)) throw err;
      } finally {
        options.signal?.removeEventListener("abort", abort);
        stream.cancel();
      }
      if (options.signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
    }
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
