/**
 * `get providers`: the providers the server knows, their leases and whether they are up, as a
 * table, JSON, YAML or names. The table and the JSON mapping are pure.
 *
 * @module
 */
import type { Duration, Provider } from "../api/mod.ts";
import type { CliCommand } from "./commands.ts";
import type { CommandContext } from "./context.ts";
import { ageOf, cellText, humanDuration, renderTable } from "./format.ts";
import { printObject } from "./output.ts";
import { type JsonObject, timestampToJson } from "./proto_json.ts";

type GetProvidersCommand = Extract<CliCommand, { resource: "providers" }>;

/**
 * Runs `get providers`.
 *
 * @param command the checked command
 * @param ctx client, output and clock
 */
export async function runGetProviders(
  command: GetProvidersCommand,
  ctx: CommandContext,
): Promise<void> {
  const providers = await ctx.client.listProviders();
  const { output } = command;
  if (output === "json" || output === "yaml") {
    printObject(ctx.io, output, { providers: providers.map(providerToJson) });
  } else if (providers.length === 0) {
    ctx.io.err("No providers found.\n");
  } else if (output === "name") {
    ctx.io.out(providers.map((p) => `provider/${p.name}\n`).join(""));
  } else {
    ctx.io.out(providerTable(providers, { nowMs: ctx.nowMs(), wide: output === "wide" }));
  }
}

/** Options of {@linkcode providerTable}. */
export interface ProviderTableOptions {
  /** The current time in epoch milliseconds, for LAST HEARTBEAT. */
  readonly nowMs: number;
  /** Adds REGISTERED and EXPIRIES (`-o wide`). */
  readonly wide?: boolean;
}

/**
 * The `get providers` table: NAME, LEASE (`<none>` without one), LAST HEARTBEAT (an age), STATE
 * (`Up` or `LeaseExpired`) and CONDITIONS (how many it owns).
 *
 * @param providers rows in the order given
 * @param options see ProviderTableOptions
 * @returns the table with its header line
 * @example Usage
 * ```ts
 * import { providerTable } from "./provider_commands.ts";
 * providerTable([], { nowMs: 0 }); // "NAME   LEASE   LAST HEARTBEAT   STATE   CONDITIONS\n"
 * ```
 */
export function providerTable(
  providers: readonly Provider[],
  options: ProviderTableOptions,
): string {
  const header = ["NAME", "LEASE", "LAST HEARTBEAT", "STATE", "CONDITIONS"];
  if (options.wide) header.push("REGISTERED", "EXPIRIES");
  const rows = providers.map((p) => {
    const leaseMs = durationMs(p.leaseDuration);
    const row = [
      p.name,
      leaseMs === 0 ? "<none>" : humanDuration(leaseMs),
      ageOf(p.lastHeartbeatTime, options.nowMs),
      p.leaseExpired ? "LeaseExpired" : "Up",
      String(p.conditionsOwned),
    ];
    if (options.wide) row.push(p.registered ? "true" : "false", String(p.leaseExpiries));
    return row.map(cellText);
  });
  return renderTable([header, ...rows]);
}

/**
 * The protobuf JSON mapping of a Provider: Duration as seconds with an `s` suffix, Timestamps
 * as RFC 3339, int64 as a string, every field present.
 */
export function providerToJson(p: Provider): JsonObject {
  return {
    name: p.name,
    leaseDuration: durationToJson(p.leaseDuration),
    lastHeartbeatTime: timestampToJson(p.lastHeartbeatTime),
    leaseExpired: p.leaseExpired,
    conditionsOwned: p.conditionsOwned,
    registered: p.registered,
    firstSeenTime: timestampToJson(p.firstSeenTime),
    leaseExpiries: String(p.leaseExpiries ?? 0),
  };
}

function durationMs(d: Duration | null | undefined): number {
  return d ? d.seconds * 1000 + Math.floor(d.nanos / 1e6) : 0;
}

// "1s", "1.500s", "0.000000001s", as the protobuf JSON mapping writes a Duration.
function durationToJson(d: Duration | null | undefined): string | null {
  if (!d) return null;
  const nanos = d.nanos ?? 0;
  if (nanos === 0) return `${d.seconds}s`;
  const digits = String(nanos).padStart(9, "0");
  const fraction = nanos % 1e6 === 0
    ? digits.slice(0, 3)
    : nanos % 1e3 === 0
    ? digits.slice(0, 6)
    : digits;
  return `${d.seconds}.${fraction}s`;
}
