/**
 * The write verbs a provider author experiments with: `create gpu`, `delete gpu`,
 * `set condition` and `clear condition`. Writes carry the --provider identity.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { Gpu } from "../api/mod.ts";
import type { CliCommand } from "./commands.ts";
import { editConditions, withCondition, withoutCondition } from "./condition_edit.ts";
import { type CommandContext, notFoundMessage } from "./context.ts";
import { CliError, hasCode } from "./errors.ts";
import { printObject } from "./output.ts";
import { gpuToJson } from "../api/mod.ts";

type Command<V extends CliCommand["verb"]> = Extract<CliCommand, { verb: V }>;

/**
 * Runs `create gpu NAME --uuid UUID`; an existing GPU with the same UUID is `unchanged`.
 *
 * @param command the checked command
 * @param ctx client and output
 */
export async function runCreate(command: Command<"create">, ctx: CommandContext): Promise<void> {
  const { gpu, created } = await ctx.client.create({
    metadata: { name: command.name, namespace: command.namespace, labels: command.labels },
    spec: {
      uuid: command.uuid,
      productName: command.productName,
      pciBusId: command.pciBusId,
      index: command.index,
    },
  });
  printResult(ctx, command.output, gpu, created ? "created" : "unchanged");
}

/**
 * Runs `delete gpu NAME`.
 *
 * @param command the checked command
 * @param ctx client and output
 * @throws {CliError} when the GPU does not exist
 */
export async function runDelete(command: Command<"delete">, ctx: CommandContext): Promise<void> {
  try {
    await ctx.client.delete(command.name, command.namespace);
  } catch (err) {
    if (hasCode(err, status.NOT_FOUND)) {
      throw new CliError(notFoundMessage(command.name, command.namespace));
    }
    throw err;
  }
  ctx.io.out(command.output === "name" ? `gpu/${command.name}\n` : `gpu/${command.name} deleted\n`);
}

/**
 * Runs `set condition GPU TYPE STATUS`: sets one condition and keeps the others.
 *
 * @param command the checked command
 * @param ctx client and output
 * @throws {CliError} when the GPU does not exist or keeps changing
 */
export async function runSet(command: Command<"set">, ctx: CommandContext): Promise<void> {
  const { gpu, changed } = await editConditions(
    ctx.client,
    command,
    (conditions, current) => withCondition(conditions, command, current.metadata.generation),
  );
  const what = changed ? `condition ${command.type}=${command.status} set` : "unchanged";
  printResult(ctx, command.output, gpu, what);
}

/**
 * Runs `clear condition GPU TYPE`: removes one condition and keeps the others.
 *
 * @param command the checked command
 * @param ctx client and output
 * @throws {CliError} when the GPU does not exist or keeps changing
 */
export async function runClear(command: Command<"clear">, ctx: CommandContext): Promise<void> {
  const { gpu, changed } = await editConditions(
    ctx.client,
    command,
    (conditions) => withoutCondition(conditions, command.type),
  );
  const what = changed
    ? `condition ${command.type} cleared`
    : `unchanged: it has no condition ${command.type}`;
  printResult(ctx, command.output, gpu, what);
}

function printResult(ctx: CommandContext, output: string, gpu: Gpu, what: string): void {
  if (output === "json" || output === "yaml") printObject(ctx.io, output, gpuToJson(gpu));
  else if (output === "name") ctx.io.out(`gpu/${gpu.metadata.name}\n`);
  else ctx.io.out(`gpu/${gpu.metadata.name} ${what}\n`);
}
