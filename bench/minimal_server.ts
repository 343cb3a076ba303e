/**
 * The floor of the stack: a GpuService with nothing a production server
 * needs, for `deno task bench --reference` (docs/performance.md, "The floor").
 *
 * It serves the contract's GetGpu, ListGpus, WatchGpus, CreateGpu and
 * UpdateGpuStatus on one Unix socket, on the same grpc-js and Deno, with the
 * same encode-once techniques as the server (bytes stored by the write, the
 * List cached per version, one Buffer per event shared by every stream) and
 * the same request decoding (src/api), its connections accepted the way the
 * server accepts them (through the GOAWAY filter). It fills in what the
 * contract has a server set (namespace, uid, generation, creation and
 * transition times, clock-based resource versions), so that it sends
 * messages of the size the server and the Go reference send (docs/api.md,
 * "Objects"). It has no metrics, interceptors,
 * validation, lock, limits, quotas, logging, persistence or back-pressure.
 * Measured next to the server in one run, the difference is what those cost.
 * Not for production: a slow watcher's queue grows without bound.
 *
 * ```sh
 * deno task bench --reference "deno run -A --v8-flags=--max-semi-space-size=2,--max-old-space-size=128,--initial-old-space-size=40 bench/minimal_server.ts --unix {SOCK}"
 * ```
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Buffer } from "node:buffer";
import * as net from "node:net";
import { parseArgs } from "node:util";
import {
  encodeCreateResponse,
  encodeGpu,
  encodeGpuList,
  encodeWatchEvent,
  type Gpu,
  GPU_SERVICE,
  isDecodeFailure,
  serviceDefinition,
  type Timestamp,
  timestampFromMs,
  type WatchEventType,
} from "../src/api/mod.ts";
// These two files, not their folders' mod.ts: the floor loads no more of the server than it uses.
import { nopLogger } from "../src/logging/nop_logger.ts";
import { acceptConnection } from "../src/server/accept.ts";

type Unary = grpc.ServerUnaryCall<unknown, Buffer>;
type Callback = grpc.sendUnaryData<Buffer>;
type Watch = grpc.ServerWritableStream<unknown, Buffer>;

/** A map of GPUs with encode-once reads and a shared-buffer fan-out. */
export class MinimalGpuService {
  readonly #gpus = new Map<string, { gpu: Gpu; bytes: Buffer }>();
  readonly #watchers = new Set<Watch>();
  // Microseconds of the wall clock, as the server's and Go's versions are: 16 digits on the wire.
  #version = Date.now() * 1000;
  #list: { version: number; bytes: Buffer } | undefined;

  /** The handlers, by method name of the contract. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      GetGpu: (call: Unary, done: Callback) => {
        const { name } = call.request as { name: string };
        const entry = this.#gpus.get(name);
        if (entry) done(null, entry.bytes);
        else done({ code: grpc.status.NOT_FOUND, details: `gpu ${name} not found` });
      },
      ListGpus: (_call: Unary, done: Callback) => {
        if (this.#list?.version !== this.#version) {
          const items = [...this.#gpus.values()].map((e) => e.bytes);
          this.#list = { version: this.#version, bytes: encodeGpuList(this.#version, items) };
        }
        done(null, this.#list.bytes);
      },
      CreateGpu: (call: Unary, done: Callback) => {
        const { gpu } = call.request as { gpu: Gpu };
        const now = timestampFromMs(Date.now());
        const metadata = {
          ...gpu.metadata,
          namespace: gpu.metadata.namespace || "default",
          uid: crypto.randomUUID(),
          generation: 1,
          creationTimestamp: now,
        };
        const status = transitionedAt(gpu.status, now);
        const bytes = this.#write({ ...gpu, metadata, status }, "ADDED");
        done(null, encodeCreateResponse(bytes, true));
      },
      UpdateGpuStatus: (call: Unary, done: Callback) => {
        const request = call.request as { name: string; status: Gpu["status"] };
        const entry = this.#gpus.get(request.name);
        if (!entry) {
          done({ code: grpc.status.NOT_FOUND, details: `gpu ${request.name} not found` });
          return;
        }
        const status = transitionedAt(request.status, timestampFromMs(Date.now()));
        done(null, this.#write({ ...entry.gpu, status }, "MODIFIED"));
      },
      WatchGpus: (call: Watch) => {
        for (const { bytes } of this.#gpus.values()) call.write(encodeWatchEvent("ADDED", bytes));
        this.#watchers.add(call);
        const forget = () => this.#watchers.delete(call);
        call.on("cancelled", forget);
        call.on("close", forget);
      },
    };
  }

  #write(gpu: Gpu, type: WatchEventType): Buffer {
    const version = ++this.#version;
    const metadata = { ...gpu.metadata, resourceVersion: String(version) };
    const stored = { ...gpu, metadata, resourceVersion: version };
    const bytes = encodeGpu(stored);
    this.#gpus.set(gpu.metadata.name, { gpu: stored, bytes });
    const event = encodeWatchEvent(type, bytes);
    for (const watcher of this.#watchers) watcher.write(event);
    return bytes;
  }
}

// Every condition stamped as changed at `now`: at least the work the server's own settling does.
function transitionedAt(status: Gpu["status"], now: Timestamp): Gpu["status"] {
  const conditions = status.conditions.map((c) => ({ ...c, lastTransitionTime: now }));
  return { ...status, conditions };
}

/** A running minimal server. */
export interface MinimalServer {
  /** Stops accepting and closes every connection at once. */
  close(): void;
}

/**
 * Serves {@linkcode MinimalGpuService} on a Unix socket. Connections pass the
 * server's GOAWAY filter, as the server's own do: without it a client that
 * closes its channel can crash Deno's HTTP/2 layer (docs/operations.md,
 * "Troubleshooting"), and the floor would die in the middle of a run.
 */
export async function serveMinimal(socket: string): Promise<MinimalServer> {
  const definition = serviceDefinition(GPU_SERVICE);
  const service = new MinimalGpuService();
  // Malformed requests are the production server's concern; here they end the call.
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(service.handlers())) {
    implementation[method] = (call: Unary, done?: Callback) => {
      if (isDecodeFailure(call.request)) {
        done?.({ code: grpc.status.INVALID_ARGUMENT, details: call.request.decodeError });
        return;
      }
      (handler as (c: Unary, d?: Callback) => void)(call, done);
    };
  }
  const server = new grpc.Server({ "grpc.enable_channelz": 0 });
  server.addService(
    Object.fromEntries(Object.keys(implementation).map((m) => [m, definition[m]!])),
    implementation,
  );
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const open = new Set<net.Socket>();
  const listener = net.createServer((conn) => acceptConnection(conn, open, injector, nopLogger));
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(socket, () => resolve());
  });
  return {
    close() {
      listener.close();
      server.forceShutdown();
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { unix: { type: "string" } } });
  if (!values.unix) {
    console.error("usage: minimal_server.ts --unix PATH");
    Deno.exit(2);
  }
  const server = await serveMinimal(values.unix);
  const signals = ["SIGTERM", "SIGINT"] as const;
  // Ends by an empty event loop, not Deno.exit, so that --cpu-prof can write its profile.
  const stop = () => {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
    server.close();
  };
  for (const signal of signals) Deno.addSignalListener(signal, stop);
}
