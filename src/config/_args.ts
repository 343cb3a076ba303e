/**
 * Go/kubelet-style command-line scanner: `--flag=value`, `--flag value`, `-flag value`, booleans
 * as `--flag` or `--flag=false`, `--` ends the flags, and positionals may sit between flags.
 */

import type { ActionFlag, FlagDefinition } from "./flags.ts";
import { parseBool, ValueError } from "./_values.ts";

/** Raw flag values and positionals found on a command line, before values are validated. */
export interface ScannedArgs {
  /** Flag name to its last raw value (a repeated flag keeps the last, as in Go). */
  readonly values: ReadonlyMap<string, string>;
  readonly positionals: readonly string[];
  /** Set when --help or --version was given; it wins over everything else. */
  readonly action?: ActionFlag["name"];
  readonly errors: readonly string[];
}

/** Splits args into flag values, positionals and syntax errors; values are not checked here. */
export function scanArgs(
  args: readonly string[],
  tables: { readonly flags: readonly FlagDefinition[]; readonly actions: readonly ActionFlag[] },
): ScannedArgs {
  const flags = new Map<string, FlagDefinition>();
  for (const flag of tables.flags) {
    flags.set(flag.name, flag);
    if (flag.short !== undefined) flags.set(flag.short, flag);
  }
  const actions = new Map<string, ActionFlag>();
  for (const action of tables.actions) {
    actions.set(action.name, action);
    if (action.short !== undefined) actions.set(action.short, action);
  }
  const isFlagToken = (token: string): boolean => {
    if (token === "--") return true;
    const name = /^--?([^-=][^=]*)/.exec(token)?.[1];
    return name !== undefined && (flags.has(name) || actions.has(name));
  };

  const values = new Map<string, string>();
  const positionals: string[] = [];
  const errors: string[] = [];
  let action: ActionFlag["name"] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const dashes = arg.startsWith("--") ? 2 : 1;
    const body = arg.slice(dashes);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === "" || name.startsWith("-")) {
      errors.push(`bad flag syntax: ${arg}`);
      continue;
    }

    const act = actions.get(name);
    if (act !== undefined) {
      try {
        if (inline === undefined || parseBool(inline)) action ??= act.name;
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        errors.push(`invalid value ${JSON.stringify(inline)} for flag --${act.name}: ${e.message}`);
      }
      continue;
    }

    const flag = flags.get(name);
    if (flag === undefined) {
      errors.push(`unknown flag: ${arg.slice(0, dashes + name.length)}`);
      continue;
    }
    if (inline !== undefined) {
      values.set(flag.name, inline);
      continue;
    }
    const next = args[i + 1];
    if (flag.type === "bool") {
      if (next === "true" || next === "false") {
        // Go would take "false" as a positional and silently turn the flag on.
        errors.push(`flag --${flag.name} is boolean: write --${flag.name}=${next}`);
        i++;
      } else {
        values.set(flag.name, "true");
      }
      continue;
    }
    if (next === undefined || isFlagToken(next)) {
      errors.push(`flag needs an argument: --${flag.name}`);
      continue;
    }
    values.set(flag.name, next);
    i++;
  }
  return { values, positionals, errors, ...(action === undefined ? {} : { action }) };
}
