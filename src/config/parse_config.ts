import type { MutableConfig, ParseConfigResult } from "./config.ts";
import { ACTION_FLAGS, DEFAULT_CONFIG, FLAGS } from "./flags.ts";
import { scanArgs, type ScanFlag } from "./_args.ts";
import { checkConfig } from "./_validate.ts";
import { ValueError } from "./_values.ts";

/** The server's flags as the scanner sees them. */
export const SCAN_FLAGS: readonly ScanFlag[] = Object.freeze(
  FLAGS.map((f) => ({ name: f.name, short: f.short, bool: f.type === "bool" })),
);

/** Options of parseConfig. */
export interface ParseConfigOptions {
  /**
   * Directory that relative paths resolve against. Defaults to Deno.cwd(), asked for only when
   * a relative path is given, so callers (and tests) can keep parsing free of process state.
   */
  readonly cwd?: string;
}

/**
 * Turns command-line flags and DEVICE_API_* variables into a validated Config, so a bad setting
 * stops the server before it binds anything. Precedence: flag, then environment, then default.
 * Every problem is reported, one message each.
 *
 * @param args command-line arguments without the program name (Deno.args)
 * @param env environment variables (Deno.env.toObject()); only the DEVICE_API_* names are read
 * @param options see ParseConfigOptions
 * @returns `{ ok: true, action: "run", config, args }`, `{ ok: true, action: "help" | "version" }`
 *   when --help/-h or --version was given, or `{ ok: false, errors }`
 * @example Usage
 * ```ts
 * import { parseConfig } from "./parse_config.ts";
 * const result = parseConfig(["--metrics-port=9100"], { DEVICE_API_V: "2" });
 * if (result.ok && result.action === "run") console.log(result.config.verbosity); // 2
 * ```
 */
export function parseConfig(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: ParseConfigOptions = {},
): ParseConfigResult {
  const scanned = scanArgs(args, SCAN_FLAGS, { actions: ACTION_FLAGS });
  const action = ACTION_FLAGS.find((a) => a.name === scanned.action);
  if (action !== undefined) return { ok: true, action: action.name };

  const errors = scanned.errors.map((e) => e.message);
  const config: MutableConfig = { ...DEFAULT_CONFIG };
  const failed = new Set<string>();
  const sources = new Map<string, "flag" | "env">();
  const context = { cwd: () => options.cwd ?? currentDir() };
  for (const flag of FLAGS) {
    const fromFlag = scanned.values.get(flag.name)?.at(-1);
    const raw = fromFlag ?? env[flag.env];
    if (raw === undefined) continue;
    const source = fromFlag !== undefined ? "flag" : "env";
    try {
      Object.assign(config, flag.apply(raw, context));
      sources.set(flag.name, source);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      const where = source === "flag" ? `flag --${flag.name}` : flag.env;
      errors.push(`invalid value ${JSON.stringify(raw)} for ${where}: ${e.message}`);
      failed.add(flag.name);
    }
  }
  errors.push(...checkConfig(config, { failed, sources }));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, action: "run", config: Object.freeze(config), args: scanned.positionals };
}

function currentDir(): string {
  try {
    return Deno.cwd();
  } catch {
    throw new ValueError(
      "is a relative path and the working directory is unknown: use an absolute path",
    );
  }
}
