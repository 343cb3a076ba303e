/**
 * Closed-loop unary load: `concurrency` loops, each issuing its next call
 * as soon as the previous one returns, spread over `channels` connections.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { now } from "./_clock.ts";
import type { UnaryMethod, UnaryResult } from "./_protocol.ts";
import { roundUs, Samples } from "./_stats.ts";
import {
  benchStatus,
  encodeRequest,
  gpuName,
  rawClient,
  type RawClientHandle,
  type RawUnary,
  writerMetadata,
} from "./_wire.ts";

/** Options of {@linkcode UnaryLoad}. */
export interface UnaryLoadOptions {
  socket: string;
  method: UnaryMethod;
  concurrency: number;
  channels: number;
  gpus: number;
}

/** A closed-loop load on one unary method. */
export class UnaryLoad {
  readonly #options: UnaryLoadOptions;
  readonly #clients: RawClientHandle[] = [];
  readonly #latencies = new Samples();
  #running = false;
  #inFlight = 0;
  #windowStart = Infinity;
  #windowEnd = Infinity;
  #ops = 0;
  #errors = 0;
  #firstError: string | undefined;
  #seq = 0;
  #idle: (() => void) | undefined;

  /** Opens the connections. */
  constructor(options: UnaryLoadOptions) {
    this.#options = options;
    for (let i = 0; i < options.channels; i++) this.#clients.push(rawClient(options.socket));
  }

  /** Starts every loop. */
  start(): void {
    this.#running = true;
    const { concurrency, method } = this.#options;
    for (let i = 0; i < concurrency; i++) {
      const client = this.#clients[i % this.#clients.length]!;
      this.#loop(client.unary(method), i);
    }
  }

  /** Begins the measured window. */
  measure(): void {
    this.#windowStart = now();
  }

  /** Ends the window, waits for calls in flight, and reports. */
  async stop(): Promise<UnaryResult> {
    this.#windowEnd = now();
    this.#running = false;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    return {
      ops: this.#ops,
      errors: this.#errors,
      windowMs: this.#windowEnd - this.#windowStart,
      latencies: Array.from(this.#latencies.view(), roundUs),
      firstError: this.#firstError,
    };
  }

  /** Closes the connections. */
  close(): void {
    for (const c of this.#clients) c.client.close();
  }

  #loop(call: RawUnary, loop: number): void {
    const { method, gpus } = this.#options;
    const gets = Array.from(
      { length: gpus },
      (_, i) => encodeRequest("GetGpuRequest", { name: gpuName(i), opts: {} }),
    );
    const list = encodeRequest("ListGpusRequest", { opts: {} });
    const metadata: grpc.Metadata = writerMetadata();
    let n = loop;
    const request = (): Uint8Array => {
      n++;
      if (method === "GetGpu") return gets[n % gpus]!;
      if (method === "ListGpus") return list;
      // Each loop writes its own GPU; the changing message makes every call a real write.
      return encodeRequest("UpdateGpuStatusRequest", {
        name: gpuName(loop % gpus),
        status: benchStatus(++this.#seq),
      });
    };
    const next = () => {
      if (!this.#running) {
        if (--this.#inFlight === 0) this.#idle?.();
        return;
      }
      const sent = now();
      call(request(), metadata, (err) => {
        const done = now();
        if (sent >= this.#windowStart && done <= this.#windowEnd) {
          if (err) {
            this.#errors++;
            this.#firstError ??= err.message;
          } else {
            this.#ops++;
            this.#latencies.push(done - sent);
          }
        }
        next();
      });
    };
    this.#inFlight++;
    next();
  }
}
