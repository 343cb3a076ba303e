/**
 * `get providers`: the providers the server knows, their leases and whether they are up, as a
 * table, JSON, YAML or names. The table and the JSON mapping are pure.
 *
 * @module
 */
import { durationToMs, type Provider } from "../api/mod.ts";
import type { CliCommand } from "./commands.ts";
import type { CommandContext } from "./context.ts";
import { ageOf, cellText, humanDuration, renderTable } from "./format.ts";
import { printObject } from "./output.ts";
import { providerToJson } from "../api/mod.ts";

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
    const leaseMs = durationToMs(p.leaseDuration);
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
