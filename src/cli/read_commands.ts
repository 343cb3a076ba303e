/**
 * `get` and `describe`: read GPUs and print them as a table, JSON, YAML, names or pages.
 *
 * @module
 */
import type { CliCommand, Scope } from "./commands.ts";
import { type CommandContext, getGpu } from "./context.ts";
import { describeGpus } from "./describe.ts";
import { formatGpus } from "./printers.ts";
import { gpuListToJson, gpuToJson } from "../api/mod.ts";
import { streamEvents } from "./watch_command.ts";

type GetCommand = Extract<CliCommand, { verb: "get"; scope: Scope }>;
type DescribeCommand = Extract<CliCommand, { verb: "describe" }>;

/**
 * Runs `get gpus` or `get gpu NAME`; with `-w`, then prints each change in the same format.
 *
 * @param command the checked command
 * @param ctx client, output and clock
 * @throws {CliError} when the named GPU does not exist
 */
export async function runGet(command: GetCommand, ctx: CommandContext): Promise<void> {
  const { output, scope, name } = command;
  const options = {
    output,
    allNamespaces: scope.allNamespaces,
    headers: !command.noHeaders,
    nowMs: ctx.nowMs(),
  };
  let version = "";
  if (name !== undefined) {
    // The GPU's own version may be older than the watch history: watch from the store's.
    if (command.watch) {
      version = (await ctx.client.list({ namespace: scope.namespace })).resourceVersion;
    }
    const gpu = await getGpu(ctx.client, name, scope.namespace);
    ctx.io.out(formatGpus([gpu], gpuToJson(gpu), options));
  } else {
    const { items, resourceVersion } = await ctx.client.list({
      namespace: scope.namespace,
      labelSelector: scope.selector,
    });
    // Objects and templates describe the list itself, even an empty one (its version).
    const whole = output === "json" || output === "yaml" || output.startsWith("jsonpath=");
    const listed = whole || items.length > 0;
    if (listed) ctx.io.out(formatGpus(items, gpuListToJson(items, resourceVersion), options));
    else if (!command.watch) ctx.io.err(`${noneFound(scope)}\n`);
    version = resourceVersion;
  }
  if (!command.watch) return;
  // As kubectl: the changes after the list, as rows without a header (or objects).
  await streamEvents(ctx, scope, version, (_type, gpu) => {
    if (name !== undefined && gpu.metadata.name !== name) return;
    ctx.io.out(
      formatGpus([gpu], gpuToJson(gpu), { ...options, headers: false, nowMs: ctx.nowMs() }),
    );
  });
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
