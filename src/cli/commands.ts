/**
 * The commands the CLI runs, checked from a verb's words and flags. Pure.
 *
 * @module
 */
import { CLI_VERBS, type Verb } from "./cli_flags.ts";
import { UsageError } from "./errors.ts";
import {
  flagOn,
  type FlagValues as Values,
  indexOf,
  invalid,
  labelsOf,
  namespaceOf,
  outputOf,
  type Scope,
  scopeOf,
  text,
} from "./flag_values.ts";

export type { Scope } from "./flag_values.ts";

/** Condition statuses `set condition` accepts. */
export const CONDITION_STATUSES = ["True", "False", "Unknown"] as const;

/** A checked CLI command. */
export type CliCommand =
  | {
    readonly verb: "get";
    readonly name?: string;
    readonly output: string;
    readonly scope: Scope;
    readonly noHeaders: boolean;
    readonly watch: boolean;
  }
  | { readonly verb: "get"; readonly resource: "providers"; readonly output: string }
  | { readonly verb: "describe"; readonly name?: string; readonly scope: Scope }
  | {
    readonly verb: "watch";
    readonly output: string;
    readonly scope: Scope;
    readonly resourceVersion: string;
  }
  | {
    readonly verb: "create";
    readonly name: string;
    readonly namespace: string;
    readonly uuid: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly productName: string;
    readonly pciBusId: string;
    readonly index: number;
    readonly output: string;
  }
  | {
    readonly verb: "set";
    readonly gpu: string;
    readonly namespace: string;
    readonly type: string;
    readonly status: typeof CONDITION_STATUSES[number];
    readonly reason: string;
    readonly message: string;
    readonly output: string;
  }
  | {
    readonly verb: "clear";
    readonly gpu: string;
    readonly namespace: string;
    readonly type: string;
    readonly output: string;
  }
  | {
    readonly verb: "delete";
    readonly name: string;
    readonly namespace: string;
    readonly output: string;
  }
  | { readonly verb: "version"; readonly client: boolean; readonly output: string }
  | { readonly verb: "completion"; readonly shell: Shell }
  | { readonly verb: "help"; readonly topic: Verb | undefined };

/** Shells `completion` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** A shell `completion` writes a script for. */
export type Shell = typeof SHELLS[number];

/**
 * Checks a verb's words (after the verb) and flags and builds its command.
 *
 * @param verb the verb, not "help"
 * @param words positional words after the verb: resource type, then names
 * @param values the parsed flags
 * @throws {UsageError} when a word or flag is missing, extra or malformed
 */
export function buildCommand(
  verb: Verb,
  words: readonly string[],
  values: Values,
): CliCommand {
  const output = outputOf(verb, values);
  switch (verb) {
    case "help": {
      const [topic, ...extra] = words;
      if (extra.length > 0) throw new UsageError("help takes at most one command");
      if (topic !== undefined && !(CLI_VERBS as readonly string[]).includes(topic)) {
        throw new UsageError(`unknown help topic ${JSON.stringify(topic)}`);
      }
      return { verb, topic: topic as Verb | undefined };
    }
    case "version":
      if (words.length > 0) throw new UsageError("version takes no arguments");
      return { verb, client: flagOn(values, "client"), output };
    case "completion": {
      const [shell, ...extra] = words;
      if (
        shell === undefined || extra.length > 0 || !(SHELLS as readonly string[]).includes(shell)
      ) {
        throw new UsageError(`completion takes one shell: ${SHELLS.join(", ")}`);
      }
      return { verb, shell: shell as Shell };
    }
    case "get":
    case "describe": {
      if (verb === "get" && RESOURCES.providers!.includes(words[0] ?? "")) {
        return getProviders(words.slice(1), values, output);
      }
      const [name, ...extra] = resource(verb, words, "gpus");
      if (extra.length > 0) throw new UsageError(`${verb} takes at most one gpu name`);
      const scope = scopeOf(values);
      if (name !== undefined && (scope.allNamespaces || scope.selector !== "")) {
        throw new UsageError("a gpu name cannot be combined with --all-namespaces or --selector");
      }
      const named = name === undefined ? {} : { name };
      if (verb === "describe") return { verb, ...named, scope } as const;
      const watch = flagOn(values, "watch");
      return { verb, ...named, output, scope, noHeaders: flagOn(values, "no-headers"), watch };
    }
    case "watch": {
      const names = resource(verb, words, "gpus");
      if (names.length > 0) throw new UsageError("watch takes no gpu name: use --selector");
      const resourceVersion = text(values, "resource-version") ?? "";
      if (resourceVersion !== "" && !/^[0-9]+$/.test(resourceVersion)) {
        throw invalid("resource-version", resourceVersion, "must be a resource version number");
      }
      return { verb, output, scope: scopeOf(values), resourceVersion } as const;
    }
    case "create": {
      const name = only(verb, resource(verb, words, "gpu"), "NAME");
      const uuid = text(values, "uuid");
      if (uuid === undefined || uuid === "") throw new UsageError("create gpu needs --uuid");
      return {
        verb,
        name,
        namespace: namespaceOf(values),
        uuid,
        labels: labelsOf(values),
        productName: text(values, "product-name") ?? "",
        pciBusId: text(values, "pci-bus-id") ?? "",
        index: indexOf(values),
        output,
      } as const;
    }
    case "set": {
      const [gpu, type, status, ...extra] = resource(verb, words, "condition");
      if (status === undefined || extra.length > 0) {
        throw new UsageError("set condition takes GPU TYPE STATUS");
      }
      const statuses: readonly string[] = CONDITION_STATUSES;
      if (!statuses.includes(status)) {
        throw new UsageError(
          `invalid condition status ${JSON.stringify(status)}: must be True, False or Unknown`,
        );
      }
      return {
        verb,
        gpu: gpu!,
        namespace: namespaceOf(values),
        type: type!,
        status: status as typeof CONDITION_STATUSES[number],
        reason: text(values, "reason") ?? "",
        message: text(values, "message") ?? "",
        output,
      } as const;
    }
    case "clear": {
      const [gpu, type, ...extra] = resource(verb, words, "condition");
      if (type === undefined || extra.length > 0) {
        throw new UsageError("clear condition takes GPU TYPE");
      }
      return { verb, gpu: gpu!, namespace: namespaceOf(values), type, output } as const;
    }
    case "delete": {
      const name = only(verb, resource(verb, words, "gpu"), "NAME");
      return { verb, name, namespace: namespaceOf(values), output } as const;
    }
  }
}

/** The words of each resource type, singular and plural. */
export const RESOURCES: Readonly<Record<string, readonly string[]>> = {
  gpus: ["gpu", "gpus"],
  gpu: ["gpu", "gpus"],
  condition: ["condition", "conditions"],
  providers: ["provider", "providers"],
};

// `get providers`: every provider, no name and no GPU scope.
function getProviders(names: readonly string[], values: Values, output: string): CliCommand {
  if (names.length > 0) throw new UsageError("get providers takes no name");
  if (output.includes("=")) throw invalid("output", output, "get providers prints no templates");
  for (const flag of ["namespace", "all-namespaces", "selector", "watch", "no-headers"]) {
    if (values.has(flag)) throw new UsageError(`get providers takes no --${flag}`);
  }
  return { verb: "get", resource: "providers", output };
}

/** Checks the resource type word and returns the words after it. */
function resource(verb: Verb, words: readonly string[], expected: string): string[] {
  const [kind, ...rest] = words;
  if (kind === undefined) {
    throw new UsageError(`${verb} needs a resource type: ${expected}`);
  }
  if (!(RESOURCES[expected] ?? []).includes(kind)) {
    throw new UsageError(
      `unknown resource type ${JSON.stringify(kind)} for ${verb}: use ${expected}`,
    );
  }
  return rest;
}

function only(verb: Verb, names: readonly string[], what: string): string {
  if (names.length !== 1) throw new UsageError(`${verb} gpu takes exactly one ${what}`);
  return names[0]!;
}
