/**
 * The CLI's flag table and verbs: the one list from which parsing, per-verb checks and help
 * come. Connection flags share names, environment variables and defaults with the server's
 * flags (src/config), so `device-api-server get gpus` finds a server started with the same
 * environment.
 *
 * @module
 */
import { FLAGS, serverFlag } from "../config/mod.ts";

/** Verbs the CLI answers; the first word that is not a flag selects one. */
export const CLI_VERBS = [
  "get",
  "describe",
  "watch",
  "create",
  "set",
  "clear",
  "delete",
  "help",
] as const;

/** A verb of the CLI. */
export type Verb = typeof CLI_VERBS[number];

/** One CLI flag. */
export interface CliFlag {
  /** Long name without dashes. */
  readonly name: string;
  readonly short?: string;
  /** Word shown in help after the flag; "" for a boolean. */
  readonly type: "" | "string" | "duration" | "int";
  /** May be given more than once. */
  readonly multiple?: boolean;
  readonly help: string;
  /** Default as help shows it; omitted when there is none. */
  readonly default?: string;
  /** Environment variable read when the flag is absent. */
  readonly env?: string;
}

// The server's default and variable, so the CLI finds the server where it listens.
function serverDefaults(name: string): { default: string; env: string } {
  const flag = serverFlag(name);
  return { default: flag.default, env: flag.env };
}

/** Default provider identity of CLI writes (`Condition.owner` of what it sets). */
export const DEFAULT_PROVIDER = "device-api-cli";

/** Flags every verb takes: where the server is and who is asking. */
export const CONNECTION_FLAGS: readonly CliFlag[] = Object.freeze([
  {
    name: "unix-socket",
    type: "string",
    help: "Unix socket of the server",
    ...serverDefaults("unix-socket"),
  },
  {
    name: "grpc-address",
    type: "string",
    help: "HOST:PORT of the server's TCP listener, used instead of the socket when given",
  },
  {
    name: "tls-ca-file",
    type: "string",
    help: "PEM CA bundle that verifies the server; connects to --grpc-address with TLS",
  },
  {
    name: "tls-cert-file",
    type: "string",
    help: "PEM client certificate for mutual TLS (with --tls-key-file)",
  },
  { name: "tls-key-file", type: "string", help: "PEM key of --tls-cert-file" },
  {
    name: "tls-server-name",
    type: "string",
    help: "name the server certificate must carry; default HOST, or localhost when HOST is an IP " +
      "address (Deno's TLS client cannot check an IP address)",
  },
  { name: "timeout", type: "duration", help: "deadline of each request", default: "10s" },
  {
    name: "provider",
    type: "string",
    help: "provider name sent with every request; the owner of conditions this sets",
    default: DEFAULT_PROVIDER,
  },
  { name: "help", short: "h", type: "", help: "show help for the command" },
]);

/** Flags that only some verbs take. */
export const COMMAND_FLAGS: readonly CliFlag[] = Object.freeze([
  { name: "output", short: "o", type: "string", help: "output format (see the command's help)" },
  { name: "namespace", short: "n", type: "string", help: "namespace", default: "default" },
  { name: "all-namespaces", short: "A", type: "", help: "every namespace; adds NAMESPACE" },
  {
    name: "selector",
    short: "l",
    type: "string",
    help: "label selector, e.g. -l 'zone=a,tier!=spare'",
  },
  { name: "resource-version", type: "string", help: "watch the events after this version" },
  { name: "uuid", type: "string", help: "the GPU's UUID (required)" },
  { name: "label", type: "string", multiple: true, help: "label KEY=VALUE; repeat for more" },
  { name: "product-name", type: "string", help: "product name, e.g. NVIDIA H100 80GB HBM3" },
  { name: "pci-bus-id", type: "string", help: "PCI bus id, e.g. 00000000:07:00.0" },
  { name: "index", type: "int", help: "the GPU's index on the node" },
  { name: "reason", type: "string", help: "the condition's reason, one CamelCase word" },
  { name: "message", type: "string", help: "the condition's message, human text" },
]);

/** Every CLI flag. */
export const CLI_FLAGS: readonly CliFlag[] = Object.freeze([...CONNECTION_FLAGS, ...COMMAND_FLAGS]);

/** The command flags each verb takes on top of the connection flags. */
export const VERB_FLAGS: Readonly<Record<Verb, readonly string[]>> = Object.freeze({
  get: ["output", "namespace", "all-namespaces", "selector"],
  describe: ["namespace", "all-namespaces", "selector"],
  watch: ["output", "namespace", "all-namespaces", "selector", "resource-version"],
  create: ["namespace", "uuid", "label", "product-name", "pci-bus-id", "index", "output"],
  set: ["reason", "message", "output", "namespace"],
  clear: ["output", "namespace"],
  delete: ["output", "namespace"],
  help: [],
});

/** Output formats each verb accepts with -o; the first is the default. */
export const VERB_OUTPUTS: Readonly<Record<Verb, readonly string[]>> = Object.freeze({
  get: ["table", "wide", "json", "yaml", "name"],
  describe: [],
  watch: ["lines", "json"],
  create: ["text", "json", "yaml", "name"],
  set: ["text", "json", "yaml", "name"],
  clear: ["text", "json", "yaml", "name"],
  delete: ["text", "name"],
  help: [],
});

/**
 * Tells whether args are a CLI command rather than server flags: the first word that is not a
 * flag or a flag's value is a verb. Knows which flags take a value, the server's and the CLI's.
 *
 * @param args command-line arguments without the program name
 * @example Usage
 * ```ts
 * import { isCliCommand } from "./cli_flags.ts";
 * isCliCommand(["--unix-socket", "/tmp/d.sock", "get", "gpus"]); // true
 * isCliCommand(["--v", "2"]); // false: the server
 * ```
 */
export function isCliCommand(args: readonly string[]): boolean {
  const word = firstWord(args);
  return word !== undefined && (CLI_VERBS as readonly string[]).includes(word);
}

/** The first positional word of args, skipping flags and the values of flags that take one. */
export function firstWord(args: readonly string[]): string | undefined {
  const takesValue = new Set<string>();
  for (const flag of FLAGS) {
    if (flag.type === "bool") continue;
    takesValue.add(flag.name);
    if (flag.short !== undefined) takesValue.add(flag.short);
  }
  for (const flag of CLI_FLAGS) {
    if (flag.type === "") continue;
    takesValue.add(flag.name);
    if (flag.short !== undefined) takesValue.add(flag.short);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") return args[i + 1];
    if (!arg.startsWith("-") || arg === "-") return arg;
    if (!arg.includes("=") && takesValue.has(arg.replace(/^--?/, ""))) i++;
  }
  return undefined;
}
