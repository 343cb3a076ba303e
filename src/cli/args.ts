/**
 * Turns the CLI's command line into a checked command: the verb, its arguments and flags, and
 * the connection. The server's scanner reads the line, so both take flags the same way. Pure
 * apart from the environment lookup it is given.
 *
 * @module
 */
import { scanArgs } from "../config/mod.ts";
import { CLI_SCAN_FLAGS, CLI_VERBS, CONNECTION_FLAGS, type Verb, VERB_FLAGS } from "./cli_flags.ts";
import {
  type Connection,
  type ConnectionFlags,
  type EnvLookup,
  resolveConnection,
} from "./connection.ts";
import { UsageError } from "./errors.ts";
import { buildCommand, type CliCommand } from "./commands.ts";
import { flagOn, type FlagValues, text } from "./flag_values.ts";

/** Outcome of {@linkcode parseCliArgs}: the connection is there for commands that talk to a server. */
export type ParseCliResult =
  | { readonly ok: true; readonly command: CliCommand; readonly connection?: Connection }
  | { readonly ok: false; readonly verb: Verb | undefined; readonly error: string };

/**
 * Parses a CLI command line (`get gpus -o wide --unix-socket /run/d.sock`).
 *
 * @param args arguments without the program name
 * @param env lookup of the server's environment variables
 * @returns the command and connection, help to show, or the usage error and its verb
 * @example Usage
 * ```ts
 * import { parseCliArgs } from "./args.ts";
 * const parsed = parseCliArgs(["get", "gpus", "-o", "json"], () => undefined);
 * if (parsed.ok) console.log(parsed.command.verb); // "get"
 * ```
 */
export function parseCliArgs(args: readonly string[], env: EnvLookup): ParseCliResult {
  const { values, positionals, errors } = scanArgs(args, CLI_SCAN_FLAGS);
  const word = positionals[0];
  const verb = (CLI_VERBS as readonly string[]).includes(word ?? "") ? word as Verb : undefined;
  try {
    if (verb === undefined) {
      throw new UsageError(
        word === undefined ? "no command given" : `unknown command ${JSON.stringify(word)}`,
      );
    }
    if (errors[0] !== undefined) throw new UsageError(errors[0].message);
    if (verb !== "help" && flagOn(values, "help")) {
      return { ok: true, command: { verb: "help", topic: verb } };
    }
    checkFlagsApply(verb, values);
    const command = buildCommand(verb, positionals.slice(1), values);
    if (!needsServer(command)) return { ok: true, command };
    return { ok: true, command, connection: resolveConnection(connectionFlags(values), env) };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { ok: false, verb, error: err.message };
  }
}

function needsServer(command: CliCommand): boolean {
  return command.verb !== "help" && command.verb !== "completion" &&
    !(command.verb === "version" && command.client);
}

function connectionFlags(values: FlagValues): ConnectionFlags {
  const flags: Record<string, string> = {};
  for (const flag of CONNECTION_FLAGS) {
    const value = text(values, flag.name);
    if (value !== undefined) flags[flag.name] = value;
  }
  return flags;
}

function checkFlagsApply(verb: Verb, values: FlagValues): void {
  const allowed = new Set([...VERB_FLAGS[verb], ...CONNECTION_FLAGS.map((f) => f.name)]);
  for (const name of values.keys()) {
    if (!allowed.has(name)) throw new UsageError(`flag --${name} does not apply to ${verb}`);
  }
}
