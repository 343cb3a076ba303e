/**
 * `watch gpus` and `get gpus -w`: stream GPU events until Ctrl-C.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { Gpu } from "../api/mod.ts";
import type { CliCommand, Scope } from "./commands.ts";
import type { CommandContext } from "./context.ts";
import { CliError, hasCode } from "./errors.ts";
import { cellText, readyOf } from "./format.ts";
import { watchEventToJson } from "../api/mod.ts";

type WatchCommand = Extract<CliCommand, { verb: "watch" }>;

/**
 * One event as a line: `MODIFIED gpu-0 False rv=42` (`NAMESPACE/NAME` with all namespaces).
 *
 * @param type the event type
 * @param gpu the event's object
 * @param withNamespace prefix the name with its namespace
 * @returns the line, without its newline
 */
export function watchLine(type: string, gpu: Gpu, withNamespace: boolean): string {
  const name = withNamespace ? `${gpu.metadata.namespace}/${gpu.metadata.name}` : gpu.metadata.name;
  const ready = readyOf(gpu.status?.conditions ?? []);
  return cellText(`${type} ${name} ${ready} rv=${gpu.metadata.resourceVersion}`);
}

/**
 * Runs `watch gpus`; returns when interrupted, throws when the stream fails or the server ends
 * it.
 *
 * @param command the checked command
 * @param ctx client, output and the interrupt hook
 * @throws {CliError} when the version is too old or the server ends the watch
 */
export function runWatch(command: WatchCommand, ctx: CommandContext): Promise<void> {
  const { scope } = command;
  return streamEvents(ctx, scope, command.resourceVersion, (type, gpu) => {
    ctx.io.out(
      command.output === "json"
        ? `${JSON.stringify(watchEventToJson(type, gpu))}\n`
        : `${watchLine(type, gpu, scope.allNamespaces)}\n`,
    );
  });
}

/**
 * Watches the GPUs of a scope from a version and hands each event to
 * onEvent until Ctrl-C.
 *
 * @param ctx client and the interrupt hook
 * @param scope namespace and selector
 * @param resourceVersion "" for the current GPUs first, else the events after it
 * @param onEvent called for each event, in order
 * @throws {CliError} when the version is too old or the server ends the watch
 */
export async function streamEvents(
  ctx: CommandContext,
  scope: Scope,
  resourceVersion: string,
  onEvent: (type: string, gpu: Gpu) => void,
): Promise<void> {
  const watch = ctx.client.watch({
    namespace: scope.namespace,
    labelSelector: scope.selector,
    resourceVersion,
  });
  let interrupted = false;
  const removeInterrupt = ctx.onInterrupt(() => {
    interrupted = true;
    watch.cancel();
  });
  try {
    for await (const event of watch) onEvent(event.type, event.object);
  } catch (err) {
    if (hasCode(err, status.OUT_OF_RANGE)) {
      const details = (err as { details: string }).details;
      throw new CliError(`cannot watch from resource version ${resourceVersion}: ${details}`);
    }
    throw err;
  } finally {
    removeInterrupt();
    watch.cancel();
  }
  if (!interrupted) throw new CliError("the server ended the watch");
}
