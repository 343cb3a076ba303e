/**
 * Open-loop writer: UpdateGpuStatus at a fixed rate, round-robin over the
 * GPUs, recording when each call was sent and returned and the resource
 * version it produced, so that watch deliveries can be timed against it.
 *
 * @module
 */
import { now, sleep } from "./_clock.ts";
import type { WriteRecord, WriterResult } from "./_protocol.ts";
import { roundUs } from "./_stats.ts";
import {
  benchStatus,
  encodeRequest,
  gpuName,
  gpuVersion,
  rawClient,
  type RawClientHandle,
  writerMetadata,
} from "./_wire.ts";

/** Options of {@linkcode WriterLoad}. */
export interface WriterLoadOptions {
  socket: string;
  rate: number;
  gpus: number;
  maxInFlight: number;
}

/** A paced UpdateGpuStatus writer. */
export class WriterLoad {
  readonly #options: WriterLoadOptions;
  readonly #client: RawClientHandle;
  readonly #writes: WriteRecord[] = [];
  #running = false;
  #loop: Promise<void> | undefined;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #windowStart = Infinity;
  #windowEnd = Infinity;
  #errors = 0;
  #skipped = 0;
  #firstError: string | undefined;

  /** Opens the connection. */
  constructor(options: WriterLoadOptions) {
    this.#options = options;
    this.#client = rawClient(options.socket);
  }

  /** Starts writing. */
  start(): void {
    this.#running = true;
    this.#loop = this.#pace();
  }

  /** Begins the measured window. */
  measure(): void {
    this.#windowStart = now();
  }

  /** Ends the window, waits for calls in flight, and reports the window's writes. */
  async stop(): Promise<WriterResult> {
    this.#windowEnd = now();
    this.#running = false;
    await this.#loop;
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    return {
      ops: this.#writes.length,
      errors: this.#errors,
      skipped: this.#skipped,
      windowMs: this.#windowEnd - this.#windowStart,
      latencies: this.#writes.map(([, sent, returned]) => roundUs(returned - sent)),
      writes: this.#writes,
      firstError: this.#firstError,
    };
  }

  /** Closes the connection. */
  close(): void {
    this.#client.client.close();
  }

  async #pace(): Promise<void> {
    const call = this.#client.unary("UpdateGpuStatus");
    const metadata = writerMetadata();
    const interval = 1000 / this.#options.rate;
    let due = now();
    for (let seq = 1; this.#running; seq++) {
      due += interval;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      if (!this.#running) break;
      if (this.#inFlight >= this.#options.maxInFlight) {
        this.#skipped++;
        continue;
      }
      const request = encodeRequest("UpdateGpuStatusRequest", {
        name: gpuName(seq % this.#options.gpus),
        status: benchStatus(seq),
      });
      this.#inFlight++;
      const sent = now();
      call(request, metadata, (err, response) => {
        const returned = now();
        if (sent >= this.#windowStart && sent <= this.#windowEnd) {
          if (err || !response) {
            this.#errors++;
            this.#firstError ??= err?.message;
          } else {
            this.#writes.push([gpuVersion(response), roundMs(sent), roundMs(returned)]);
          }
        }
        if (--this.#inFlight === 0 && !this.#running) this.#idle?.();
      });
    }
  }
}

// Epoch milliseconds with microseconds: JSON keeps them short and exact enough.
function roundMs(t: number): number {
  return Math.round(t * 1000) / 1000;
}
