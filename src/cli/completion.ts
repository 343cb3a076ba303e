/**
 * `completion bash|zsh|fish`: shell completion scripts for the commands, resource types and
 * flags, written from the same tables the parser uses, so they never list a flag it refuses.
 * Pure.
 *
 * @module
 */
import { CLI_FLAGS, CLI_VERBS, CONNECTION_FLAGS, type Verb, VERB_FLAGS } from "./cli_flags.ts";
import { RESOURCES, type Shell, SHELLS } from "./commands.ts";

const PROGRAM = "device-api-server";

// The words each verb takes first: resource types, shells, or help topics.
const FIRST_WORDS: Readonly<Record<Verb, readonly string[]>> = {
  get: [...RESOURCES.gpus!, ...RESOURCES.providers!],
  describe: RESOURCES.gpus!,
  watch: RESOURCES.gpus!,
  create: RESOURCES.gpu!,
  set: RESOURCES.condition!,
  clear: RESOURCES.condition!,
  delete: RESOURCES.gpu!,
  version: [],
  completion: SHELLS,
  help: CLI_VERBS,
};

function flagsOf(verb: Verb) {
  const names = new Set([...VERB_FLAGS[verb], ...CONNECTION_FLAGS.map((f) => f.name)]);
  return CLI_FLAGS.filter((f) => names.has(f.name));
}

/**
 * The completion script of a shell.
 *
 * @param shell bash, zsh or fish
 * @returns the script, to `source` (bash, zsh) or to save under fish's completions directory
 * @example Usage
 * ```ts
 * import { completionScript } from "./completion.ts";
 * completionScript("bash").includes("complete -F _device_api_server device-api-server"); // true
 * ```
 */
export function completionScript(shell: Shell): string {
  if (shell === "fish") return fishScript();
  const bash = bashScript();
  // zsh runs the bash function through its bash-completion emulation.
  return shell === "bash"
    ? bash
    : `#compdef ${PROGRAM}\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
}

function bashScript(): string {
  const cases = CLI_VERBS.map((verb) => {
    const flags = flagsOf(verb).flatMap((f) => [
      `--${f.name}`,
      ...(f.short ? [`-${f.short}`] : []),
    ]);
    return `    ${verb}) words="${[...FIRST_WORDS[verb], ...flags].join(" ")}" ;;`;
  });
  return [
    `# bash completion for ${PROGRAM}: source <(${PROGRAM} completion bash)`,
    "_device_api_server() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" verb="" words="" i',
    "  for ((i = 1; i < COMP_CWORD; i++)); do",
    '    case "${COMP_WORDS[i]}" in -*) ;; *) verb="${COMP_WORDS[i]}"; break ;; esac',
    "  done",
    '  case "$verb" in',
    `    "") words="${CLI_VERBS.join(" ")}" ;;`,
    ...cases,
    "  esac",
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    "}",
    `complete -F _device_api_server ${PROGRAM}`,
    "",
  ].join("\n");
}

function fishScript(): string {
  const c = `complete -c ${PROGRAM}`;
  const lines = [
    `# fish completion for ${PROGRAM}: save as ~/.config/fish/completions/${PROGRAM}.fish`,
    `${c} -f -n __fish_use_subcommand -a "${CLI_VERBS.join(" ")}"`,
  ];
  for (const verb of CLI_VERBS) {
    const when = `-n "__fish_seen_subcommand_from ${verb}"`;
    if (FIRST_WORDS[verb].length > 0) {
      lines.push(`${c} -f ${when} -a "${FIRST_WORDS[verb].join(" ")}"`);
    }
    for (const f of flagsOf(verb)) {
      const short = f.short ? ` -s ${f.short}` : "";
      const value = f.type === "" ? "" : " -r";
      lines.push(`${c} ${when} -l ${f.name}${short}${value} -d ${fishQuote(f.help)}`);
    }
  }
  return lines.join("\n") + "\n";
}

function fishQuote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
