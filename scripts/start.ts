/**
 * `deno task start`: runs the server under the permission set derived from
 * its own configuration (src/runtime), never `-A`.
 *
 * The arguments and DEVICE_API_* variables are parsed the same way the
 * server parses them, the narrowest Deno flags for that configuration are
 * computed, and `deno run <flags> src/main.ts <args>` is started with
 * signals forwarded and its exit status returned. Invalid configuration is
 * left to the server, which reports it.
 *
 * @module
 */
import { parseConfig, readConfigEnv } from "../src/config/mod.ts";
// Not src/runtime/mod.ts: the launcher loads no gRPC stack (docs/performance.md, item 18).
import { ENV_VARIABLES, runtimeFlags, scopeFromConfig } from "../src/runtime/runtime_flags.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** The signals the launcher passes on to the server; any other ends the launcher alone. */
export const FORWARDED_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT"];

/**
 * `deno task` has brought `node_modules` in line with the lock file
 * (deno.json's `"nodeModulesDir": "auto"` installs them all, before any
 * task runs): the server does not check it a second time, 20–35 ms of
 * every start (docs/performance.md, item 16).
 */
const NODE_MODULES_CHECKED = "--node-modules-dir=manual";

/** The full `deno run` argument list for these server arguments (--help, --version and errors included). */
export function startCommand(args: string[], env: Record<string, string | undefined>): string[] {
  const parsed = parseConfig(args, env);
  const flags = parsed.ok && parsed.action === "run"
    ? runtimeFlags(scopeFromConfig(parsed.config), { embedded: false })
    // --help, --version and errors read the environment the server reads (grpc-js reads its own
    // variables as it loads), and touch nothing else.
    : ["--no-prompt", `--allow-env=${ENV_VARIABLES.join(",")}`];
  return ["run", NODE_MODULES_CHECKED, ...flags, MAIN, ...args];
}

if (import.meta.main) {
  const env = readConfigEnv();
  const child = new Deno.Command(Deno.execPath(), { args: startCommand(Deno.args, env) }).spawn();
  for (const signal of FORWARDED_SIGNALS) {
    Deno.addSignalListener(signal, () => child.kill(signal));
  }
  const status = await child.status;
  // A server ended by a signal has code 128 + its number (134 for an abort), as a shell reports
  // it: the launcher exits with the same status, so that a crash never reads as an interrupt.
  Deno.exit(status.code);
}
