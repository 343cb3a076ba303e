/**
 * `get` and `describe`: read GPUs and print them as a table, JSON, YAML, names or pages.
 *
 * @module
 */
import type { Gpu } from "../api/mod.ts";
import type { CliCommand, Scope } from "./commands.ts";
import { type CommandContext, getGpu } from "./context.ts";
import { describeGpus } from "./describe.ts";
import { gpuTable } from "./format.ts";
import { printObject } from "./output.ts";
import { gpuListToJson, gpuToJson } from "./proto_json.ts";

type GetCommand = Extract<CliCommand, { verb: "get"; scope: Scope }>;
type DescribeCommand = Extract<CliCommand, { verb: "describe" }>;

/**
 * Runs `get gpus` or `get gpu NAME`.
 *
 * @param command the checked command
 * @param ctx client, output and clock
 * @throws {CliError} when the named GPU does not exist
 */
export async function runGet(command: GetCommand, ctx: CommandContext): Promise<void> {
  const { output, scope } = command;
  if (command.name !== undefined) {
    const gpu = await getGpu(ctx.client, command.name, scope.namespace);
    if (output === "json" || output === "yaml") printObject(ctx.io, output, gpuToJson(gpu));
    else printGpus(ctx, [gpu], output, scope);
    return;
  }
  const { items, resourceVersion } = await ctx.client.list({
    namespace: scope.namespace,
    labelSelector: scope.selector,
  });
  if (output === "json" || output === "yaml") {
    printObject(ctx.io, output, gpuListToJson(items, resourceVersion));
  } else if (items.length === 0) {
    ctx.io.err(`${noneFound(scope)}\n`);
  } else {
    printGpus(ctx, items, output, scope);
  }
}

function printGpus(ctx: CommandContext, gpus: Gpu[], output: string, scope: Scope): void {
  if (output === "name") {
    ctx.io.out(gpus.map((gpu) => `gpu/${gpu.metadata.name}\n`).join(""));
    return;
  }
  ctx.io.out(
    gpuTable(gpus, { nowMs: ctx.nowMs(), wide: output === "wide", namespace: scope.allNamespaces }),
  );
}

/**
 * Runs `describe gpu NAME` or `describe gpus`.
 *
 * @param command the checked command
 * @param ctx client, output and clock
 * @throws {CliError} when the named GPU does not exist
 */
export async function runDescribe(command: DescribeCommand, ctx: CommandContext): Promise<void> {
  const { scope } = command;
  const gpus = command.name !== undefined
    ? [await getGpu(ctx.client, command.name, scope.namespace)]
    : (await ctx.client.list({ namespace: scope.namespace, labelSelector: scope.selector })).items;
  if (gpus.length === 0) ctx.io.err(`${noneFound(scope)}\n`);
  else ctx.io.out(describeGpus(gpus, ctx.nowMs()));
}

/** kubectl's note for an empty result, on stderr so that scripts read nothing. */
function noneFound(scope: Scope): string {
  const selector = scope.selector === "" ? "" : ` matching ${JSON.stringify(scope.selector)}`;
  return scope.allNamespaces
    ? `No gpus found${selector}.`
    : `No gpus found in namespace ${JSON.stringify(scope.namespace)}${selector}.`;
}
