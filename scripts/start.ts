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
import { runtimeFlags, scopeFromConfig } from "../src/runtime/mod.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** The full `deno run` argument list for these server arguments, or undefined for --help and errors. */
export function startCommand(args: string[], env: Record<string, string | undefined>): string[] {
  const parsed = parseConfig(args, env);
  const flags = parsed.ok && parsed.action === "run"
    ? runtimeFlags(scopeFromConfig(parsed.config), { embedded: false })
    : ["--no-prompt"]; // --help, --version and errors need no permissions
  return ["run", ...flags, MAIN, ...args];
}

// Linux signal numbers, for the exit status a shell gives a command ended by a signal.
const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/**
 * The launcher's exit status for the server's: its code, or 128 + the signal's number when a
 * signal ended it (134 for an abort, 143 for SIGTERM), as a shell reports it, so that a crash
 * never reads as an interrupt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(launcherExitCode({ success: false, code: 134, signal: "SIGABRT" }), 134);
 * assert.equal(launcherExitCode({ success: false, code: 2, signal: null }), 2);
 * ```
 */
export function launcherExitCode(status: Deno.CommandStatus): number {
  const signal = status.signal === null ? undefined : SIGNAL_NUMBERS[status.signal];
  return signal === undefined ? status.code : 128 + signal;
}

if (import.meta.main) {
  const env = readConfigEnv();
  const child = new Deno.Command(Deno.execPath(), { args: startCommand(Deno.args, env) }).spawn();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => child.kill(signal));
  }
  const status = await child.status;
  Deno.exit(launcherExitCode(status));
}
