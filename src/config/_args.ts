/**
 * The one command-line scanner of the binary, for the server's flags and the CLI's alike, in the
 * style of Go's flag package: `--flag=value`, `--flag value`, `-flag value` and `-flag=value` are
 * the same, booleans are `--flag` or `--flag=false`, `--` ends the flags, and positionals may sit
 * between flags. A short name with its value attached (`-ojson`) is read as kubectl reads it.
 *
 * @module
 */

import { parseBool, ValueError } from "./_values.ts";

/** A flag as the scanner needs to know it: its names and whether it takes a value. */
export interface ScanFlag {
  /** Long name without dashes. */
  readonly name: string;
  /** One-letter alias without the dash. */
  readonly short?: string;
  /** True for a boolean flag, which takes no separate value. */
  readonly bool: boolean;
}

/** What is wrong with a command line, for callers that react to the kind rather than the text. */
export type ArgErrorKind =
  | "bad-syntax"
  | "unknown-flag"
  | "missing-value"
  | "boolean-value"
  | "invalid-value";

/** One syntax error of a command line; `message` is ready to print after `error: `. */
export class ArgError extends Error {
  /** The kind of mistake. */
  readonly kind: ArgErrorKind;
  /** The flag's long name, or the token as written for an unknown flag or bad syntax. */
  readonly flag: string;

  /**
   * @param kind the kind of mistake
   * @param flag the flag concerned
   * @param message the sentence, lower case, e.g. `unknown flag: --foo`
   */
  constructor(kind: ArgErrorKind, flag: string, message: string) {
    super(message);
    this.name = "ArgError";
    this.kind = kind;
    this.flag = flag;
  }
}

/** Raw flag values and positionals found on a command line, before values are validated. */
export interface ScannedArgs {
  /** Flag name to every raw value given, in order (Go keeps the last; lists keep them all). */
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
  /** The first action flag given (such as --help) that was not set to false. */
  readonly action?: string;
  readonly errors: readonly ArgError[];
}

/** Options of {@linkcode scanArgs}. */
export interface ScanArgsOptions {
  /** Boolean flags that make the program do something else (`--help`, `--version`). */
  readonly actions?: readonly Omit<ScanFlag, "bool">[];
}

/**
 * Splits args into flag values, positionals and syntax errors; values are not checked here.
 *
 * @param args command-line arguments without the program name
 * @param flags the flags that may be given
 * @param options see ScanArgsOptions
 * @returns what was found; never throws for a malformed command line
 * @example Usage
 * ```ts
 * import { scanArgs } from "./_args.ts";
 * const flags = [{ name: "output", short: "o", bool: false }, { name: "all", bool: true }];
 * const scanned = scanArgs(["get", "-o", "json", "--all", "gpus"], flags);
 * scanned.values.get("output"); // ["json"]
 * scanned.positionals; // ["get", "gpus"]
 * ```
 */
export function scanArgs(
  args: readonly string[],
  flags: readonly ScanFlag[],
  options: ScanArgsOptions = {},
): ScannedArgs {
  const byName = namesOf(flags);
  const actions = namesOf(options.actions ?? []);
  const isFlagToken = (token: string): boolean => {
    if (token === "--") return true;
    const name = /^--?([^-=][^=]*)/.exec(token)?.[1];
    return name !== undefined && (byName.has(name) || actions.has(name));
  };

  const values = new Map<string, string[]>();
  const set = (name: string, value: string) => {
    const list = values.get(name);
    if (list === undefined) values.set(name, [value]);
    else list.push(value);
  };
  const positionals: string[] = [];
  const errors: ArgError[] = [];
  let action: string | undefined;
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
    let name = eq < 0 ? body : body.slice(0, eq);
    let inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === "" || name.startsWith("-")) {
      errors.push(new ArgError("bad-syntax", arg, `bad flag syntax: ${arg}`));
      continue;
    }

    const act = actions.get(name);
    if (act !== undefined) {
      try {
        if (inline === undefined || parseBool(inline)) action ??= act.name;
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        errors.push(invalidValue(act.name, inline ?? "", e));
      }
      continue;
    }

    let flag = byName.get(name);
    const attached = dashes === 1 ? byName.get(body[0] ?? "") : undefined;
    if (flag === undefined && attached !== undefined && !attached.bool) {
      // `-ojson`: a short name with its value attached.
      flag = attached;
      name = body[0]!;
      inline = body.slice(1);
    }
    if (flag === undefined) {
      const written = arg.slice(0, dashes + name.length);
      errors.push(new ArgError("unknown-flag", written, `unknown flag: ${written}`));
      continue;
    }
    if (inline !== undefined) {
      set(flag.name, inline);
      continue;
    }
    const next = args[i + 1];
    if (flag.bool) {
      if (next === "true" || next === "false") {
        // Go would take "false" as a positional and silently turn the flag on.
        errors.push(
          new ArgError(
            "boolean-value",
            flag.name,
            `flag --${flag.name} is boolean: write --${flag.name}=${next}`,
          ),
        );
        i++;
      } else {
        set(flag.name, "true");
      }
      continue;
    }
    if (next === undefined || isFlagToken(next)) {
      errors.push(
        new ArgError("missing-value", flag.name, `flag needs an argument: --${flag.name}`),
      );
      continue;
    }
    set(flag.name, next);
    i++;
  }
  return { values, positionals, errors, ...(action === undefined ? {} : { action }) };
}

/**
 * The error of a flag value that does not parse, phrased as every flag error is.
 *
 * @param flag the flag's long name
 * @param raw the value as given
 * @param err why it does not parse
 * @returns `invalid value "x" for flag --y: <reason>`
 */
export function invalidValue(flag: string, raw: string, err: ValueError): ArgError {
  return new ArgError(
    "invalid-value",
    flag,
    `invalid value ${JSON.stringify(raw)} for flag --${flag}: ${err.message}`,
  );
}

function namesOf<T extends { readonly name: string; readonly short?: string }>(
  flags: readonly T[],
): Map<string, T> {
  const names = new Map<string, T>();
  for (const flag of flags) {
    names.set(flag.name, flag);
    if (flag.short !== undefined) names.set(flag.short, flag);
  }
  return names;
}
