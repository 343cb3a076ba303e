/**
 * Watch streams that time every event's arrival, spread over a few
 * connections; responses stay raw bytes and only the resource version is
 * read from them.
 *
 * @module
 */
import type { WatchResult, WriteRecord } from "./_protocol.ts";
import { now } from "./_clock.ts";
import { roundUs, Samples } from "./_stats.ts";
import { encodeRequest, rawClient, type RawClientHandle, watchEventVersion } from "./_wire.ts";

/** Options of {@linkcode WatchLoad}. */
export interface WatchLoadOptions {
  socket: string;
  watchers: number;
  channels: number;
  gpus: number;
}

interface Stream {
  versions: Samples;
  times: Samples;
  error: string | null;
}

/** A set of timed watch streams. */
export class WatchLoad {
  readonly #options: WatchLoadOptions;
  readonly #clients: RawClientHandle[] = [];
  readonly #streams: Stream[] = [];
  readonly #cancels: (() => void)[] = [];

  /** Opens the connections. */
  constructor(options: WatchLoadOptions) {
    this.#options = options;
    for (let i = 0; i < options.channels; i++) this.#clients.push(rawClient(options.socket));
  }

  /** Opens every stream; resolves once each has received its initial snapshot. */
  start(): Promise<void> {
    const request = encodeRequest("WatchGpusRequest", { opts: {} });
    const ready: Promise<void>[] = [];
    for (let i = 0; i < this.#options.watchers; i++) {
      const client = this.#clients[i % this.#clients.length]!;
      const stream: Stream = { versions: new Samples(), times: new Samples(), error: null };
      this.#streams.push(stream);
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      ready.push(promise);
      let initial = this.#options.gpus;
      if (initial === 0) resolve();
      const call = client.watch(request);
      this.#cancels.push(() => call.cancel());
      call.on("data", (bytes: Uint8Array) => {
        const t = now();
        if (initial > 0) {
          if (--initial === 0) resolve();
          return;
        }
        stream.versions.push(watchEventVersion(bytes));
        stream.times.push(t);
      });
      call.on("error", (err: { code?: number; message: string }) => {
        stream.error = String(err.code ?? err.message);
        reject(new Error(`Cannot start watch: ${err.message}`));
      });
      call.on("end", () => {});
    }
    return Promise.all(ready).then(() => {});
  }

  /** Events received after the snapshots, all streams together. */
  get received(): number {
    return this.#streams.reduce((n, s) => n + s.versions.length, 0);
  }

  /** Matches every stream's receipts with the writes (in this process's clock). */
  collect(writes: WriteRecord[]): WatchResult {
    const fromReturn: number[] = [];
    const fromSend: number[] = [];
    const streamErrors: Record<string, number> = {};
    let delivered = 0;
    let lost = 0;
    for (const stream of this.#streams) {
      if (stream.error !== null) {
        streamErrors[stream.error] = (streamErrors[stream.error] ?? 0) + 1;
      }
      const received = new Map<number, number>();
      const versions = stream.versions.view();
      const times = stream.times.view();
      for (let i = 0; i < versions.length; i++) received.set(versions[i]!, times[i]!);
      for (const [version, sent, returned] of writes) {
        const at = received.get(version);
        if (at === undefined) {
          lost++;
          continue;
        }
        delivered++;
        fromReturn.push(roundUs(at - returned));
        fromSend.push(roundUs(at - sent));
      }
    }
    return { fromReturn, fromSend, delivered, lost, streamErrors };
  }

  /** Cancels the streams and closes the connections. */
  close(): void {
    for (const cancel of this.#cancels) cancel();
    for (const c of this.#clients) c.client.close();
  }
}
