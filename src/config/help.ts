import { ACTION_FLAGS, FLAGS } from "./flags.ts";
import type { FlagDefinition } from "./flags.ts";

const WIDTH = 100;

const DESCRIPTION =
  "device-api-server keeps the state of this node's GPUs and serves it over gRPC. " +
  "Providers, such as the built-in NVML provider, publish GPUs and their conditions; " +
  "consumers get, list and watch them over a Unix socket or TCP. HTTP endpoints report " +
  "health (/healthz, /livez, /readyz) and Prometheus metrics (/metrics). Every flag can also " +
  "be set through the environment variable shown in brackets; a flag on the command line wins " +
  "over the variable, which wins over the default.";

const USAGE = [
  "device-api-server [flags]",
  "device-api-server get gpus|gpu NAME|providers [flags]",
  "device-api-server describe gpu NAME | watch gpus [flags]",
  "device-api-server create gpu | set condition | clear condition | delete gpu ... [flags]",
  "device-api-server help [COMMAND]   (operator commands and their flags)",
];

/**
 * The kubectl-style --help page, built from the flag table so it always lists every flag.
 *
 * @returns the page, ending with a newline
 * @example Usage
 * ```ts
 * import { helpText } from "./help.ts";
 * console.log(helpText());
 * ```
 */
export function helpText(): string {
  const rows = [
    ...FLAGS.map((flag) => ({
      left: flagColumn(flag.name, flag.short, typeLabel(flag)),
      text: `${flag.help}${defaultNote(flag)} [$${flag.env}]`,
    })),
    ...ACTION_FLAGS.map((action) => ({
      left: flagColumn(action.name, action.short, ""),
      text: action.help,
    })),
  ];
  const column = Math.max(...rows.map((r) => r.left.length)) + 3;
  const lines = [
    ...wrap(DESCRIPTION, WIDTH, ""),
    "",
    "Usage:",
    ...USAGE.map((u) => `  ${u}`),
    "",
    "Flags:",
  ];
  for (const { left, text } of rows) {
    const [first = "", ...rest] = wrap(text, WIDTH - column, " ".repeat(column));
    lines.push(left.padEnd(column) + first, ...rest);
  }
  return lines.join("\n") + "\n";
}

/**
 * The Markdown table of every flag that docs/configuration.md embeds; a test keeps the two equal.
 *
 * @returns table rows with flag, type, environment variable, default and meaning
 */
export function flagsMarkdown(): string {
  const rows = FLAGS.map((flag) => {
    const names = flag.short !== undefined
      ? `\`-${flag.short}\`, \`--${flag.name}\``
      : `\`--${flag.name}\``;
    const shown = flag.default === "" ? "(empty)" : `\`${flag.default}\``;
    const help = flag.help.replaceAll("|", "\\|");
    return `| ${names} | ${typeLabel(flag) || "bool"} | \`${flag.env}\` | ${shown} | ${help} |`;
  });
  return [
    "| Flag | Type | Environment variable | Default | Meaning |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n") + "\n";
}

/** pflag's words: paths and addresses are plain strings, booleans show no word. */
function typeLabel(flag: FlagDefinition): string {
  if (flag.type === "bool") return "";
  return ["path", "host", "address"].includes(flag.type) ? "string" : flag.type;
}

function flagColumn(name: string, short: string | undefined, type: string): string {
  const names = short !== undefined ? `  -${short}, --${name}` : `      --${name}`;
  return type === "" ? names : `${names} ${type}`;
}

/** pflag style: zero defaults are left out, strings and paths are quoted. */
function defaultNote(flag: FlagDefinition): string {
  if (["", "0", "0s", "false"].includes(flag.default)) return "";
  const quoted = ["string", "path", "address", "host", "list"].includes(flag.type);
  return ` (default ${quoted ? JSON.stringify(flag.default) : flag.default})`;
}

/** Greedy word wrap of `text` at `width` columns; help pages of the server and the CLI share it. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/** Word wrap where every line but the first is prefixed with indent. */
function wrap(text: string, width: number, indent: string): string[] {
  return wrapWords(text, width).map((l, i) => (i === 0 ? l : indent + l));
}
