/**
 * The ProviderService handlers: registration, heartbeats, condition-level
 * writes and the provider list, registered on every listener. On the
 * read-only consumer socket every RPC but ListProviders is PERMISSION_DENIED.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import {
  type Condition,
  type DeepPartial,
  type Duration,
  durationFromMs,
  durationToMs,
  PROVIDER_SERVICE,
  serviceDefinition,
  type SetConditionsRequest,
} from "../api/mod.ts";
import {
  CapacityError,
  type ConditionPatch,
  InvalidArgumentError,
  NotFoundError,
  type StoredGpu,
  type WriteContext,
} from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import {
  type ExtraService,
  PROVIDER_METADATA_KEY,
  unary,
  validateProviderName,
} from "../server/mod.ts";
import { timestampOf } from "./expired_condition.ts";
import type { ProviderLeases, ProviderStatus } from "./provider_leases.ts";

/** Shortest lease a provider may ask for, in milliseconds. */
export const MIN_LEASE_MS = 1000;
/** Longest lease a provider may ask for, in milliseconds. */
export const MAX_LEASE_MS = 24 * 60 * 60 * 1000;

/** The store operation the service needs; a GpuStore is one. */
export interface ConditionWriter {
  setConditions(patch: ConditionPatch, ctx: WriteContext): Promise<StoredGpu>;
}

/** Options of {@linkcode providerService}. */
export interface ProviderServiceOptions {
  leases: ProviderLeases;
  store: ConditionWriter;
  logger: Logger;
}

type Req<T> = DeepPartial<T>;
type NameRequest = Req<{ name: string }>;

const EMPTY = new Uint8Array(0);

/** Builds the ProviderService, for `DeviceApiServerOptions.services`. */
export function providerService(options: ProviderServiceOptions): ExtraService {
  const definition = serviceDefinition(PROVIDER_SERVICE);
  return {
    addTo: (server: grpc.Server, readOnly: boolean) =>
      server.addService(definition, handlers(options, readOnly)),
  };
}

function handlers(
  options: ProviderServiceOptions,
  readOnly: boolean,
): grpc.UntypedServiceImplementation {
  const { leases, store } = options;
  const context = { readOnly, log: options.logger.withName("provider-service") };

  return {
    RegisterProvider: unary<Req<{ name: string; leaseDuration: Duration }>, unknown>(
      "RegisterProvider",
      true,
      context,
      (req, identity) => {
        const name = nameOf(req, identity);
        const leaseMs = leaseOf(req.leaseDuration);
        try {
          return toMessage(leases.register(name, leaseMs));
        } catch (err) {
          if (err instanceof RangeError) throw new CapacityError(err.message);
          throw err;
        }
      },
    ),
    Heartbeat: unary<NameRequest, unknown>("Heartbeat", true, context, (req, identity) => {
      const name = nameOf(req, identity);
      const status = leases.renew(name);
      if (!status) {
        throw new NotFoundError(
          `Cannot renew the lease of provider ${JSON.stringify(name)}: it is not registered; ` +
            "register again and write your conditions again",
        );
      }
      return toMessage(status);
    }),
    UnregisterProvider: unary<NameRequest, unknown>(
      "UnregisterProvider",
      true,
      context,
      (req, identity) => {
        const name = nameOf(req, identity);
        if (!leases.unregister(name)) {
          throw new NotFoundError(
            `Cannot unregister provider ${JSON.stringify(name)}: it is not registered`,
          );
        }
        return EMPTY;
      },
    ),
    SetConditions: unary<Req<SetConditionsRequest>, unknown>(
      "SetConditions",
      true,
      context,
      async (req, identity) => {
        const stored = await store.setConditions({
          name: req.name ?? "",
          namespace: req.namespace ?? "",
          set: (req.conditions ?? []) as DeepPartial<Condition>[],
          remove: (req.removeTypes ?? []) as string[],
          resourceVersion: req.resourceVersion ?? 0,
        }, { provider: identity });
        return stored.bytes;
      },
    ),
    ListProviders: unary<unknown, unknown>("ListProviders", false, context, () => ({
      providers: leases.list().map(toMessage),
    })),
  };
}

// The request's name, else the caller's identity; both given must agree.
function nameOf(req: NameRequest, identity: string): string {
  const given = req.name ?? "";
  if (given === "") {
    if (identity === "") {
      throw new InvalidArgumentError(
        "name",
        `required: give the provider name or send it in ${PROVIDER_METADATA_KEY}`,
      );
    }
    return identity;
  }
  validateProviderName("name", given);
  if (identity !== "" && identity !== given) {
    throw new InvalidArgumentError(
      "name",
      `${JSON.stringify(given)} differs from ${PROVIDER_METADATA_KEY} ${JSON.stringify(identity)}`,
    );
  }
  return given;
}

function leaseOf(duration: Req<Duration> | null | undefined): number {
  const seconds = duration?.seconds ?? 0;
  const nanos = duration?.nanos ?? 0;
  const ms = durationToMs(duration);
  const none = seconds === 0 && nanos === 0;
  const valid = seconds >= 0 && nanos >= 0 && nanos < 1e9 &&
    (none || (ms >= MIN_LEASE_MS && ms <= MAX_LEASE_MS));
  if (!valid) {
    throw new InvalidArgumentError(
      "lease_duration",
      `must be 0 (no lease) or from 1s to 24h, got ${seconds}s ${nanos}ns`,
    );
  }
  return ms;
}

// The plain shape of a Provider message.
function toMessage(status: ProviderStatus): Record<string, unknown> {
  return {
    name: status.name,
    leaseDuration: status.leaseMs > 0 ? durationFromMs(status.leaseMs) : null,
    lastHeartbeatTime: timestampOf(status.lastHeartbeatMs),
    leaseExpired: status.expired,
    conditionsOwned: status.conditionsOwned,
    registered: status.registered,
    firstSeenTime: timestampOf(status.firstSeenMs),
    leaseExpiries: status.expiries,
  };
}
