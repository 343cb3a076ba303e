/**
 * Reading systemd's notification variables from the process environment under a narrow
 * `--allow-env` list.
 *
 * @module
 */
import { NOTIFY_ENV_NAMES, type NotifyEnv } from "./notify_env.ts";

/**
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID and RUNTIME_DIRECTORY, skipping any variable
 * the env permission does not grant, so a narrow permission set neither throws nor prompts.
 *
 * @returns the readable variables; an ungranted one is left out as if unset
 * @example Usage
 * ```ts
 * import { readNotifyEnv } from "./read_env.ts";
 *
 * const env = readNotifyEnv();
 * console.log(env.NOTIFY_SOCKET ?? "not started by systemd");
 * ```
 */
export function readNotifyEnv(): NotifyEnv {
  const env: NotifyEnv = {};
  for (const name of NOTIFY_ENV_NAMES) {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") continue;
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}
