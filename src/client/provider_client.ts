/**
 * The provider side of the typed client: registration, heartbeats,
 * condition-level writes and the provider list (ProviderService), next to
 * every GpuService method of {@linkcode DeviceApiClient}, over one channel.
 *
 * @example Usage
 * ```ts
 * import { ProviderClient } from "./provider_client.ts";
 * const client = new ProviderClient("unix:///var/run/device-api/device.sock", { provider: "my-monitor" });
 * try {
 *   await client.registerProvider({ leaseMs: 30_000 });
 *   await client.setConditions("gpu-0", { set: [{ type: "MyMonitorReady", status: "True", reason: "Healthy" }] });
 *   await client.heartbeat(); // a provider repeats this every 10 s, well within its lease
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
import { durationFromMs, PROVIDER_SERVICE, serviceDefinition } from "../api/mod.ts";
import type { Condition, DeepPartial, Gpu, Provider } from "../api/mod.ts";
import { type ClientOptions, DeviceApiClient } from "./client.ts";
import { callUnary } from "./_unary.ts";
import type { Endpoint } from "./endpoint.ts";

/** Options of {@linkcode ProviderClient.setConditions}. */
export interface SetConditionsOptions {
  /** Conditions to set (added, or replacing the one of the same type). */
  set?: DeepPartial<Condition>[];
  /** Types of conditions to remove. */
  remove?: string[];
  /** Precondition: fail with ABORTED unless the GPU is at this version; 0 for none. */
  resourceVersion?: number;
  /** Namespace of the GPU; "" means "default". */
  namespace?: string;
}

/** Options of {@linkcode ProviderClient.registerProvider}. */
export interface RegisterOptions {
  /** Provider name; defaults to the client's `provider` identity. */
  name?: string;
  /** Lease in milliseconds: 0 (the default) for none, else 1 s to 24 h. */
  leaseMs?: number;
}

const ProviderServiceClient = grpc.makeGenericClientConstructor(
  serviceDefinition(PROVIDER_SERVICE),
  "ProviderService",
);

/** A DeviceApiClient that also speaks the ProviderService. */
export class ProviderClient extends DeviceApiClient {
  readonly #providers: grpc.Client;
  readonly #provider: string | undefined;
  readonly #timeoutMs: number;

  /**
   * Connects lazily to `target` (as {@linkcode DeviceApiClient}: absent means
   * `DEVICE_API_ENDPOINT`); `options.provider` is the identity every call carries.
   */
  constructor(target?: string | Endpoint, options: ClientOptions = {}) {
    super(target, options);
    // The same channel as the GpuService client: one connection, closed by close().
    this.#providers = new ProviderServiceClient(
      this.grpc.getChannel().getTarget(),
      options.credentials ?? grpc.credentials.createInsecure(),
      { channelOverride: this.grpc.getChannel() },
    );
    this.#provider = options.provider;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Sets or removes only the named conditions of one GPU, owned by this client's provider. */
  setConditions(name: string, options: SetConditionsOptions): Promise<Gpu> {
    return this.#unary("SetConditions", {
      name,
      namespace: options.namespace ?? "",
      conditions: options.set ?? [],
      removeTypes: options.remove ?? [],
      resourceVersion: options.resourceVersion ?? 0,
    });
  }

  /** Registers the provider (or changes its lease); heartbeat within the lease afterwards. */
  registerProvider(options: RegisterOptions = {}): Promise<Provider> {
    return this.#unary("RegisterProvider", {
      name: options.name ?? "",
      leaseDuration: durationFromMs(options.leaseMs ?? 0),
    });
  }

  /** Renews the lease; NOT_FOUND means the server forgot the provider (register and write again). */
  heartbeat(name = ""): Promise<Provider> {
    return this.#unary("Heartbeat", { name });
  }

  /** Forgets the provider; its conditions stay as they are. */
  async unregisterProvider(name = ""): Promise<void> {
    await this.#unary("UnregisterProvider", { name });
  }

  /** Every provider the server knows, sorted by name. */
  async listProviders(): Promise<Provider[]> {
    const res = await this.#unary<{ providers: Provider[] }>("ListProviders", {});
    return res.providers;
  }

  #unary<T>(method: string, req: unknown): Promise<T> {
    return callUnary(this.#providers, method, req, {
      provider: this.#provider,
      timeoutMs: this.#timeoutMs,
    });
  }
}
