/**
 * Runs one CLI command: parse, connect, run, and turn every failure into one line and an exit
 * status (0 done, 1 failed, 2 usage).
 *
 * @module
 */
import { ProviderClient } from "../client/mod.ts";
import { parseCliArgs } from "./args.ts";
import type { CliCommand } from "./commands.ts";
import type { CommandContext } from "./context.ts";
import { channelCredentials } from "./credentials.ts";
import { errorMessage } from "./errors.ts";
import { commandHelp, overviewHelp, usageText } from "./help.ts";
import { type CliIo, stdio } from "./output.ts";
import { runDescribe, runGet } from "./read_commands.ts";
import { runGetProviders } from "./provider_commands.ts";
import { runWatch } from "./watch_command.ts";
import { runClear, runCreate, runDelete, runSet } from "./write_commands.ts";
import { completionScript } from "./completion.ts";
import { runVersion, type ServerChannel } from "./version_command.ts";
import type { EnvLookup } from "./connection.ts";

/** Exit status of a command-line mistake, as the server's flag errors. */
export const EXIT_USAGE = 2;

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  /** Environment lookup (default Deno.env.get; only DEVICE_API_* names are asked for). */
  readonly env?: EnvLookup;
  /** Output streams (default the process's stdout and stderr). */
  readonly io?: CliIo;
  /** Clock for ages (default Date.now). */
  readonly nowMs?: () => number;
}

/**
 * Runs an operator command such as `get gpus -o wide`, so one binary is both the server and
 * its kubectl-style client.
 *
 * @param args arguments without the program name, verb included
 * @param options see RunCliOptions
 * @returns the exit status: 0 done, 1 the request failed, 2 usage error
 * @example Usage
 * ```ts
 * import { runCli } from "./run_cli.ts";
 * const status = await runCli(["version", "--client"]); // prints "Client Version: v…"
 * // Deno.exit(await runCli(["get", "gpus", "--unix-socket", "/run/device-api/device.sock"]));
 * ```
 */
export async function runCli(
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<number> {
  const io = options.io ?? stdio();
  const parsed = parseCliArgs(args, options.env ?? ((name) => Deno.env.get(name)));
  if (!parsed.ok) {
    io.err(`error: ${parsed.error}\n${usageText(parsed.verb)}`);
    return EXIT_USAGE;
  }
  const { command, connection } = parsed;
  if (connection === undefined) {
    if (command.verb === "help") {
      io.out(command.topic === undefined ? overviewHelp() : commandHelp(command.topic));
    } else if (command.verb === "completion") {
      io.out(completionScript(command.shell));
    } else if (command.verb === "version") {
      await runVersion(command, io, undefined);
    }
    return 0;
  }
  let channel: ServerChannel;
  try {
    channel = {
      target: connection.target,
      timeoutMs: connection.timeoutMs,
      credentials: await channelCredentials(connection.tls),
      options: {
        // The server is on this node: never through a proxy, and no proxy variables are read,
        // which the compiled binary's environment permission would refuse.
        "grpc.enable_http_proxy": 0,
        ...(connection.tls?.serverName
          ? { "grpc.ssl_target_name_override": connection.tls.serverName }
          : {}),
      },
    };
  } catch (err) {
    io.err(`error: ${errorMessage(err, connection)}\n`);
    return 1;
  }
  const client = new ProviderClient(connection.target, {
    provider: connection.provider,
    timeoutMs: connection.timeoutMs,
    credentials: channel.credentials,
    channelOptions: channel.options,
  });
  const ctx: CommandContext = {
    client,
    io,
    nowMs: options.nowMs ?? Date.now,
    onInterrupt,
  };
  try {
    await (command.verb === "version" ? runVersion(command, io, channel) : execute(command, ctx));
    return 0;
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) return 0; // the reader is gone (`| head`)
    io.err(`error: ${errorMessage(err, connection)}\n`);
    return 1;
  } finally {
    client.close();
  }
}

function execute(command: CliCommand, ctx: CommandContext): Promise<void> {
  switch (command.verb) {
    case "help":
    case "completion":
    case "version":
      throw new Error(`Cannot run ${command.verb} with a server connection`);
    case "get":
      return "resource" in command ? runGetProviders(command, ctx) : runGet(command, ctx);
    case "describe":
      return runDescribe(command, ctx);
    case "watch":
      return runWatch(command, ctx);
    case "create":
      return runCreate(command, ctx);
    case "set":
      return runSet(command, ctx);
    case "clear":
      return runClear(command, ctx);
    case "delete":
      return runDelete(command, ctx);
  }
}

const INTERRUPTS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

function onInterrupt(handler: () => void): () => void {
  for (const signal of INTERRUPTS) Deno.addSignalListener(signal, handler);
  return () => {
    for (const signal of INTERRUPTS) Deno.removeSignalListener(signal, handler);
  };
}
