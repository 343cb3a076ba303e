/**
 * Help pages of the CLI (`device-api-server help [COMMAND]`, `COMMAND --help`), built from the
 * flag table so every flag a command takes is listed. Pure.
 *
 * @module
 */
import {
  CLI_FLAGS,
  type CliFlag,
  CONNECTION_FLAGS,
  type Verb,
  VERB_FLAGS,
  VERB_OUTPUTS,
} from "./cli_flags.ts";
import { wrapWords } from "../config/mod.ts";

const PROGRAM = "device-api-server";

interface Page {
  readonly summary: string;
  readonly usage: readonly string[];
  readonly about: string;
  readonly examples: readonly string[];
}

const PAGES: Readonly<Record<Verb, Page>> = {
  get: {
    summary: "List GPUs, or show one",
    usage: [
      "get gpus [-o FORMAT] [--no-headers] [-w] [-n NS | -A] [-l SELECTOR]",
      "get gpu NAME [-o FORMAT] [-w]",
      "get providers [-o wide|json|yaml|name]",
    ],
    about: "READY is the worst of the GPU's conditions: False if any is False, else Unknown if " +
      "any is not True or there is none, else True. -o json and -o yaml print the protobuf " +
      "JSON mapping (a GpuList for a list); -o wide adds PRODUCT, PCI BUS ID and INDEX. " +
      "-o jsonpath=TEMPLATE prints kubectl-style JSONPath over that JSON; " +
      "-o custom-columns=HEADER:PATH,… prints one column per PATH for each GPU. -w keeps " +
      "printing each change after the list, in the same format, until Ctrl-C. " +
      "get providers lists the providers the server knows: LEASE (<none> without one), LAST " +
      "HEARTBEAT, STATE (Up or LeaseExpired) and CONDITIONS (how many it owns); -o wide adds " +
      "REGISTERED and EXPIRIES.",
    examples: [
      "get gpus",
      "get gpus -o wide -l zone=a",
      "get gpu gpu-0 -o yaml",
      "get gpus -o jsonpath='{.items[*].metadata.name}'",
      "get gpus -o custom-columns=NAME:.metadata.name,UUID:.spec.uuid --no-headers",
      "get gpus -w",
      "get providers",
    ],
  },
  describe: {
    summary: "Show GPUs in detail, conditions included",
    usage: ["describe gpu NAME", "describe gpus [-n NS | -A] [-l SELECTOR]"],
    about: "Prints every field of each GPU and its conditions as a table with TYPE, STATUS, " +
      "REASON, OWNER (the provider that set it), AGE (since the status last changed) and MESSAGE.",
    examples: ["describe gpu gpu-0", "describe gpus -l zone=a"],
  },
  watch: {
    summary: "Stream changes to GPUs",
    usage: ["watch gpus [-o json] [-n NS | -A] [-l SELECTOR] [--resource-version RV]"],
    about:
      "Prints one line per event: TYPE NAME READY rv=VERSION (-o json: one WatchGpusResponse " +
      "JSON object per line). Without --resource-version every current GPU comes first as ADDED; " +
      "with it, the events after that version. Ctrl-C ends the watch.",
    examples: ["watch gpus", "watch gpus -o json --resource-version 42"],
  },
  create: {
    summary: "Create a GPU",
    usage: ["create gpu NAME --uuid UUID [--label KEY=VALUE]… [-o json|yaml|name]"],
    about: "Creates a GPU as a provider would, for experiments. A GPU of that name with the same " +
      "UUID is left as it is (unchanged); with another UUID the server refuses.",
    examples: ["create gpu gpu-0 --uuid GPU-0000 --label zone=a --index 0"],
  },
  set: {
    summary: "Set one condition of a GPU",
    usage: ["set condition GPU TYPE True|False|Unknown [--reason R] [--message M] [-n NS]"],
    about:
      "Reads the GPU, replaces or adds the condition TYPE, and writes the status back on the " +
      "version it read (retrying when another writer got there first), so the other conditions " +
      "stay as they are. The condition's owner becomes --provider. Write conditions so that True " +
      "is good: READY is False as soon as one condition is False.",
    examples: [
      "set condition gpu-0 OperatorReady False --reason Drained --message 'RMA 123'",
    ],
  },
  clear: {
    summary: "Remove one condition of a GPU",
    usage: ["clear condition GPU TYPE [-n NS]"],
    about: "Removes the condition TYPE and keeps the others. This is how an operator clears a " +
      "critical XID reported by the NVML provider (NVMLReady=False, reason XidCriticalError) " +
      "once the GPU is fixed: the condition stays absent (so READY is Unknown if it was the only " +
      "one) until the provider writes it again. See docs/cli.md.",
    examples: ["clear condition gpu-0 NVMLReady"],
  },
  delete: {
    summary: "Delete a GPU",
    usage: ["delete gpu NAME [-n NS] [-o name]"],
    about: "Deletes the GPU; watchers see a DELETED event.",
    examples: ["delete gpu gpu-0"],
  },
  version: {
    summary: "Print the client's and the server's version",
    usage: ["version [--client] [-o json|yaml]"],
    about: "Prints the release of this binary, then asks the server for its own over the " +
      "ServerInfoService; --client skips the server.",
    examples: ["version", "version --client -o json"],
  },
  completion: {
    summary: "Print a shell completion script",
    usage: ["completion bash|zsh|fish"],
    about: "bash and zsh: source <(device-api-server completion bash). fish: save the output " +
      "as ~/.config/fish/completions/device-api-server.fish.",
    examples: ["completion bash > /etc/bash_completion.d/device-api-server"],
  },
  help: {
    summary: "Show help for a command",
    usage: ["help [COMMAND]"],
    about: "",
    examples: ["help set"],
  },
};

/**
 * The overview page: what the commands are and the flags every command takes.
 *
 * @returns the page, ending with a newline
 */
export function overviewHelp(): string {
  const verbs = Object.entries(PAGES).map(([verb, page]) => [verb, page.summary]);
  const column = Math.max(...verbs.map(([verb]) => verb!.length)) + 3;
  return [
    `${PROGRAM} also answers operator commands: it reads, watches and edits the GPUs a running`,
    "server holds, through the same gRPC API providers and consumers use.",
    "",
    "Usage:",
    `  ${PROGRAM} COMMAND [flags]`,
    "",
    "Commands:",
    ...verbs.map(([verb, summary]) => `  ${verb!.padEnd(column)}${summary}`),
    "",
    "Connection flags (every command):",
    ...flagLines(CONNECTION_FLAGS),
    "",
    `Run '${PROGRAM} help COMMAND' for a command's flags and examples, and`,
    `'${PROGRAM} --help' for the server's flags.`,
  ].join("\n") + "\n";
}

/**
 * The help page of one command.
 *
 * @param verb the command
 * @returns the page, ending with a newline
 */
export function commandHelp(verb: Verb): string {
  if (verb === "help") return overviewHelp();
  const page = PAGES[verb];
  const flags = VERB_FLAGS[verb].map((name) => CLI_FLAGS.find((f) => f.name === name)!);
  return [
    `${page.summary}.`,
    ...(page.about === "" ? [] : ["", ...wrapWords(page.about, 100)]),
    "",
    ...usageLines(verb),
    "",
    "Examples:",
    ...page.examples.map((e) => `  ${PROGRAM} ${e}`),
    "",
    "Flags:",
    ...flagLines(flags, VERB_OUTPUTS[verb]),
    "",
    "Connection flags:",
    ...flagLines(CONNECTION_FLAGS),
  ].join("\n") + "\n";
}

/**
 * The usage block printed under a usage error.
 *
 * @param verb the command, or undefined for the overview's usage
 */
export function usageText(verb: Verb | undefined): string {
  if (verb === undefined) {
    return `Usage:\n  ${PROGRAM} COMMAND [flags]\n\nRun '${PROGRAM} help' for the commands.\n`;
  }
  return `${usageLines(verb).join("\n")}\n\nRun '${PROGRAM} help ${verb}' for more.\n`;
}

function usageLines(verb: Verb): string[] {
  return ["Usage:", ...PAGES[verb].usage.map((u) => `  ${PROGRAM} ${u}`)];
}

function flagLines(flags: readonly CliFlag[], outputs: readonly string[] = []): string[] {
  const left = flags.map((f) =>
    `${f.short === undefined ? "    " : `-${f.short}, `}--${f.name}${f.type ? ` ${f.type}` : ""}`
  );
  const column = Math.max(...left.map((l) => l.length)) + 3;
  return flags.flatMap((f, i) => {
    let text = f.help;
    if (f.name === "output") text = `output format: ${outputs.slice(1).join(", ")}`;
    if (f.default !== undefined) text += ` (default ${JSON.stringify(f.default)})`;
    if (f.env !== undefined) text += ` [$${f.env}]`;
    const [first, ...rest] = wrapWords(text, 100 - 2 - column);
    return [
      `  ${left[i]!.padEnd(column)}${first}`,
      ...rest.map((line) => " ".repeat(2 + column) + line),
    ];
  });
}
