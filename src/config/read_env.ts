/**
 * Reading the DEVICE_API_* variables from the process environment: only the
 * names in the flag table, because the server's permission set allows no
 * others (a blanket `Deno.env.toObject()` would be denied).
 *
 * @module
 */
import { FLAGS } from "./flags.ts";

/** The value of every DEVICE_API_* variable the flag table names, for parseConfig(). */
export function readConfigEnv(): Record<string, string | undefined> {
  return Object.fromEntries(FLAGS.map((f) => [f.env, Deno.env.get(f.env)]));
}
