/**
 * Turns the CLI's command line into a checked command: the verb, its arguments and flags, and
 * the connection. Pure apart from the environment lookup it is given.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  CLI_FLAGS,
  CLI_VERBS,
  CONNECTION_FLAGS,
  firstWord,
  type Verb,
  VERB_FLAGS,
} from "./cli_flags.ts";
import { type Connection, type EnvLookup, resolveConnection } from "./connection.ts";
import { UsageError } from "./errors.ts";
import { buildCommand, type CliCommand } from "./commands.ts";
import type { FlagValues } from "./flag_values.ts";

/** Outcome of {@linkcode parseCliArgs}. */
export type ParseCliResult =
  | { readonly ok: true; readonly command: CliCommand; readonly connection: Connection }
  | { readonly ok: true; readonly command: { verb: "help"; topic: Verb | undefined } }
  | { readonly ok: false; readonly verb: Verb | undefined; readonly error: string };

const PARSE_OPTIONS = Object.fromEntries(
  CLI_FLAGS.map((f) => [
    f.name,
    {
      type: f.type === "" ? "boolean" as const : "string" as const,
      ...(f.short === undefined ? {} : { short: f.short }),
      ...(f.multiple ? { multiple: true } : {}),
    },
  ]),
);

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
  const word = firstWord(args);
  const verb = (CLI_VERBS as readonly string[]).includes(word ?? "") ? word as Verb : undefined;
  try {
    if (verb === undefined) {
      throw new UsageError(
        word === undefined ? "no command given" : `unknown command ${JSON.stringify(word)}`,
      );
    }
    const { values, positionals } = scan(args);
    const rest = positionals.slice(positionals.indexOf(verb) + 1);
    if (verb === "help") return { ok: true, command: { verb, topic: helpTopic(rest) } };
    if (values.help === true) return { ok: true, command: { verb: "help", topic: verb } };
    checkFlagsApply(verb, values);
    const connection = resolveConnection({
      "unix-socket": str(values["unix-socket"]),
      "grpc-address": str(values["grpc-address"]),
      timeout: str(values.timeout),
      provider: str(values.provider),
      "tls-ca-file": str(values["tls-ca-file"]),
      "tls-cert-file": str(values["tls-cert-file"]),
      "tls-key-file": str(values["tls-key-file"]),
      "tls-server-name": str(values["tls-server-name"]),
    }, env);
    return { ok: true, command: buildCommand(verb, rest, values), connection };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return { ok: false, verb, error: err.message };
  }
}

function scan(args: readonly string[]): { values: FlagValues; positionals: string[] } {
  try {
    return parseArgs({
      args: [...args],
      options: PARSE_OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(-[^' ]*)/.exec(message)?.[1] ?? "";
    const long = /--([a-z-]+)/.exec(message)?.[0] ?? flag;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown flag: ${flag}`);
    if (message.includes("argument missing")) {
      throw new UsageError(`flag needs an argument: ${long}`);
    }
    if (message.includes("argument is ambiguous")) {
      throw new UsageError(
        `flag needs an argument: ${long} (write ${long}=VALUE for a value that starts with "-")`,
      );
    }
    if (message.includes("does not take an argument")) {
      throw new UsageError(`flag ${long} takes no value`);
    }
    throw new UsageError(message.split("\n")[0] ?? message);
  }
}

function helpTopic(rest: readonly string[]): Verb | undefined {
  const topic = rest[0];
  if (topic === undefined) return undefined;
  if (!(CLI_VERBS as readonly string[]).includes(topic)) {
    throw new UsageError(`unknown help topic ${JSON.stringify(topic)}`);
  }
  return topic as Verb;
}

function checkFlagsApply(verb: Verb, values: FlagValues): void {
  const allowed = new Set([...VERB_FLAGS[verb], ...CONNECTION_FLAGS.map((f) => f.name)]);
  for (const flag of CLI_FLAGS) {
    if (values[flag.name] !== undefined && !allowed.has(flag.name)) {
      throw new UsageError(`flag --${flag.name} does not apply to ${verb}`);
    }
  }
}

function str(value: FlagValues[string]): string | undefined {
  return typeof value === "string" ? value : undefined;
}
