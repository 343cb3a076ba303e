/**
 * A GpuService client that sends and receives raw bytes (identity
 * serializers), so tests can put any payload on the wire and compare
 * responses byte for byte.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";

/** Path prefix of every GpuService method. */
export const SERVICE_PATH = "/nvidia.device.v1alpha1.GpuService/";

/** The unary methods of the GpuService. */
export const UNARY_METHODS = [
  "GetGpu",
  "ListGpus",
  "CreateGpu",
  "UpdateGpu",
  "UpdateGpuStatus",
  "DeleteGpu",
] as const;

/** A unary method name. */
export type UnaryMethod = typeof UNARY_METHODS[number];

/** The outcome of one call: a status code, its details, and the response bytes on OK. */
export interface RawResult {
  code: grpc.status;
  details: string;
  bytes?: Uint8Array;
}

/** An open raw watch stream. */
export interface RawWatch {
  readonly call: grpc.ClientReadableStream<Buffer>;
  /** Every message received so far. */
  readonly events: Uint8Array[];
  /** Resolves with the final status (OK when the server ended the stream cleanly). */
  readonly ended: Promise<RawResult>;
  /** Resolves once `n` events have arrived, or rejects when the stream ends first. */
  waitFor(n: number): Promise<void>;
}

/** Options of {@linkcode RawClient}. */
export interface RawClientOptions {
  /** Provider identity sent as `x-device-api-provider`. */
  provider?: string;
  /** Per-call deadline of unary calls in milliseconds (default 20 s). */
  timeoutMs?: number;
  /** Extra channel options. */
  channelOptions?: grpc.ChannelOptions;
}

const identity = (b: Buffer): Buffer => b;
const toBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.length);

/** A grpc-js client with its own connection (local subchannel pool) speaking raw bytes. */
export class RawClient {
  readonly client: grpc.Client;
  readonly #provider: string | undefined;
  readonly #timeoutMs: number;

  /** Connects lazily to `target`. */
  constructor(target: string, options: RawClientOptions = {}) {
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
      ...options.channelOptions,
    });
    this.#provider = options.provider;
    this.#timeoutMs = options.timeoutMs ?? 20_000;
  }

  /** Sends `payload` as the request of a unary method; never rejects. */
  unary(method: UnaryMethod, payload: Uint8Array): Promise<RawResult> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest<Uint8Array, Buffer>(
        SERVICE_PATH + method,
        toBuffer,
        identity,
        payload,
        this.#metadata(),
        { deadline: Date.now() + this.#timeoutMs },
        (err, res) => {
          if (err) resolve({ code: err.code, details: err.details });
          else resolve({ code: grpc.status.OK, details: "", bytes: new Uint8Array(res!) });
        },
      );
    });
  }

  /** Opens a WatchGpus stream with `payload` as the request. */
  watch(payload: Uint8Array): RawWatch {
    const call = this.client.makeServerStreamRequest<Uint8Array, Buffer>(
      SERVICE_PATH + "WatchGpus",
      toBuffer,
      identity,
      payload,
      this.#metadata(),
    );
    const events: Uint8Array[] = [];
    const waiters = new Set<() => void>();
    let final: RawResult | undefined;
    const ended = new Promise<RawResult>((resolve) => {
      const finish = (r: RawResult) => {
        if (final) return;
        final = r;
        resolve(r);
        for (const w of waiters) w();
      };
      call.on("data", (b: Buffer) => {
        events.push(new Uint8Array(b));
        for (const w of waiters) w();
      });
      call.on("error", (e: grpc.ServiceError) => finish({ code: e.code, details: e.details }));
      call.on("status", (s: grpc.StatusObject) => {
        if (s.code === grpc.status.OK) finish({ code: s.code, details: s.details });
      });
    });
    const waitFor = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (events.length >= n) {
            waiters.delete(check);
            resolve();
          } else if (final) {
            waiters.delete(check);
            reject(
              new Error(
                `stream ended after ${events.length} of ${n} events: ` +
                  `${grpc.status[final.code]} ${final.details}`,
              ),
            );
          }
        };
        waiters.add(check);
        check();
      });
    return { call, events, ended, waitFor };
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }

  #metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.#provider) md.set("x-device-api-provider", this.#provider);
    return md;
  }
}

/** The name of a status code, for assertion messages. */
export function codeName(code: number): string {
  return grpc.status[code] ?? String(code);
}
