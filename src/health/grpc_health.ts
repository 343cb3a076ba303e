/**
 * The grpc.health.v1.Health service (Check, List, Watch) for "" (the whole
 * server), the GpuService and the ProviderService, turning NOT_SERVING when
 * shutdown starts.
 *
 * Unlike the grpc-health-check package, open Watch streams can be ended by
 * the server, which a graceful stop needs (grpc-js never finishes a
 * tryShutdown while a stream is open).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { GPU_SERVICE, isDecodeFailure, PROVIDER_SERVICE, serviceDefinition } from "../api/mod.ts";
import type { ExtraService } from "../server/mod.ts";

/** Full name of the health service. */
export const HEALTH_SERVICE = "grpc.health.v1.Health";

/** Serving status as the protocol names it. */
export type ServingStatus = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

type WatchCall = grpc.ServerWritableStream<{ service: string }, { status: ServingStatus }>;

/** Options of {@linkcode GrpcHealth}. */
export interface GrpcHealthOptions {
  /** Watch streams open at once, over every listener (default 64). */
  maxWatches?: number;
  /** Called for every Watch refused by the limit. */
  onReject?: () => void;
}

/** Default of {@linkcode GrpcHealthOptions.maxWatches}. */
export const DEFAULT_MAX_HEALTH_WATCHES = 64;

/** State and handlers of the health service. */
export class GrpcHealth implements ExtraService {
  readonly #definition: grpc.ServiceDefinition = serviceDefinition(HEALTH_SERVICE);
  #serving = false;
  readonly #services = new Set(["", GPU_SERVICE, PROVIDER_SERVICE]);
  readonly #watches = new Set<WatchCall>();
  readonly #maxWatches: number;
  readonly #onReject: (() => void) | undefined;

  /** Creates the service, NOT_SERVING until {@linkcode setServing}. */
  constructor(options: GrpcHealthOptions = {}) {
    this.#maxWatches = options.maxWatches ?? DEFAULT_MAX_HEALTH_WATCHES;
    this.#onReject = options.onReject;
  }

  /** Open Watch streams. */
  get watches(): number {
    return this.#watches.size;
  }

  /** Status of a service name. */
  statusOf(service: string): ServingStatus {
    if (!this.#services.has(service)) return "SERVICE_UNKNOWN";
    return this.#serving ? "SERVING" : "NOT_SERVING";
  }

  /** Sets every known service SERVING or NOT_SERVING and tells every watcher. */
  setServing(serving: boolean): void {
    if (this.#serving === serving) return;
    this.#serving = serving;
    for (const call of this.#watches) call.write({ status: this.statusOf(call.request.service) });
  }

  /** Ends every Watch stream (shutdown), after they were told NOT_SERVING. */
  closeStreams(): void {
    for (const call of this.#watches) {
      call.emit("error", { code: grpc.status.UNAVAILABLE, details: "server is shutting down" });
    }
    this.#watches.clear();
  }

  /** Registers the handlers; the same state serves every listener, read-only or not. */
  addTo(server: grpc.Server): void {
    server.addService(this.#definition, this.#implementation());
  }

  #implementation(): grpc.UntypedServiceImplementation {
    return {
      Check: (
        call: grpc.ServerUnaryCall<{ service: string }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        if (isDecodeFailure(call.request)) {
          return callback({
            code: grpc.status.INVALID_ARGUMENT,
            details: "request: malformed message",
          });
        }
        const status = this.statusOf(call.request.service);
        if (status === "SERVICE_UNKNOWN") {
          return callback({
            code: grpc.status.NOT_FOUND,
            details: `unknown service ${JSON.stringify(call.request.service)}`,
          });
        }
        callback(null, { status });
      },
      List: (
        _call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const statuses = Object.fromEntries(
          [...this.#services].map((s) => [s, { status: this.statusOf(s) }]),
        );
        callback(null, { statuses });
      },
      Watch: (call: WatchCall) => {
        if (isDecodeFailure(call.request)) {
          call.emit("error", {
            code: grpc.status.INVALID_ARGUMENT,
            details: "request: malformed message",
          });
          return;
        }
        if (this.#watches.size >= this.#maxWatches) {
          this.#onReject?.();
          call.emit("error", {
            code: grpc.status.RESOURCE_EXHAUSTED,
            details: `too many health Watch streams: the limit is ${this.#maxWatches} ` +
              "(--max-health-watchers); use Check to poll instead",
          });
          return;
        }
        this.#watches.add(call);
        const forget = () => this.#watches.delete(call);
        call.on("cancelled", forget);
        call.on("close", forget);
        call.write({ status: this.statusOf(call.request.service) });
      },
    };
  }
}
