/**
 * What sd_notify should do, decided from systemd's environment variables alone (no I/O), so
 * every rule is testable without a socket.
 *
 * @module
 */

/** The variables systemd passes to a `Type=notify` service, plus the one `RuntimeDirectory=` sets. */
export interface NotifyEnv {
  /** Path of systemd's notification socket (`/run/systemd/notify`); unset outside systemd. */
  NOTIFY_SOCKET?: string | undefined;
  /** Watchdog timeout in microseconds (`WatchdogSec=`); unset when the watchdog is off. */
  WATCHDOG_USEC?: string | undefined;
  /** The process the watchdog is meant for; when it is another process, we stay silent. */
  WATCHDOG_PID?: string | undefined;
  /** `RuntimeDirectory=` as absolute paths, `:`-separated: where our sending socket is bound. */
  RUNTIME_DIRECTORY?: string | undefined;
}

/** The names of {@linkcode NotifyEnv}, so the env permission and the reader list the same set. */
export const NOTIFY_ENV_NAMES: readonly (keyof NotifyEnv)[] = Object.freeze([
  "NOTIFY_SOCKET",
  "WATCHDOG_USEC",
  "WATCHDOG_PID",
  "RUNTIME_DIRECTORY",
]);

/** File name of our own (sending) datagram socket inside the runtime directory. */
export const SENDER_SOCKET_NAME = "sd-notify.sock";

/** The decisions {@linkcode planNotify} takes, so the notifier only carries them out. */
export interface NotifyPlan {
  /** Absolute path of the notification socket; undefined when notification is off. */
  readonly socketPath: string | undefined;
  /** Why notification is off although NOTIFY_SOCKET is set; worth a warning. */
  readonly socketProblem: string | undefined;
  /** Path to bind our sending socket at; undefined means "in a fresh temporary directory". */
  readonly senderPath: string | undefined;
  /** Milliseconds between `WATCHDOG=1` pings (half of WATCHDOG_USEC); undefined when off. */
  readonly watchdogIntervalMs: number | undefined;
  /** Why the watchdog is off although WATCHDOG_USEC is set. */
  readonly watchdogProblem: string | undefined;
}

/** Longest socket path Linux takes: sun_path is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
/** setInterval's largest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Decides, as libsystemd's sd_notify and sd_watchdog_enabled do, whether to notify and how
 * often to ping the watchdog, so the I/O side never has to interpret the environment.
 *
 * @param env the variables systemd set (missing or empty ones count as unset)
 * @param pid this process's id, compared with WATCHDOG_PID
 * @returns the plan; problems are reported as text, never thrown
 * @example Usage
 * ```ts
 * import { planNotify } from "./notify_env.ts";
 * import assert from "node:assert/strict";
 *
 * const plan = planNotify({ NOTIFY_SOCKET: "/run/systemd/notify", WATCHDOG_USEC: "30000000" }, 42);
 * assert.equal(plan.watchdogIntervalMs, 15000);
 * ```
 */
export function planNotify(env: NotifyEnv, pid: number): NotifyPlan {
  const socket = checkSocket(env.NOTIFY_SOCKET);
  const off = { watchdogIntervalMs: undefined, watchdogProblem: undefined };
  if (socket.path === undefined) {
    return { socketPath: undefined, socketProblem: socket.problem, senderPath: undefined, ...off };
  }
  return {
    socketPath: socket.path,
    socketProblem: undefined,
    senderPath: senderPath(env.RUNTIME_DIRECTORY),
    ...checkWatchdog(env, pid),
  };
}

function checkSocket(value: string | undefined): { path?: string; problem?: string } {
  if (value === undefined || value === "") return {};
  if (value.startsWith("@")) {
    return { problem: "abstract socket addresses (@…) are not supported" };
  }
  if (!value.startsWith("/")) {
    return { problem: "only absolute socket paths are supported" };
  }
  if (new TextEncoder().encode(value).length > MAX_SOCKET_PATH_BYTES) {
    return { problem: `the path is longer than ${MAX_SOCKET_PATH_BYTES} bytes` };
  }
  return { path: value };
}

function senderPath(runtimeDirectory: string | undefined): string | undefined {
  const first = runtimeDirectory?.split(":")[0];
  if (first === undefined || !first.startsWith("/")) return undefined;
  return `${first.replace(/\/+$/, "")}/${SENDER_SOCKET_NAME}`;
}

function checkWatchdog(
  env: NotifyEnv,
  pid: number,
): { watchdogIntervalMs: number | undefined; watchdogProblem: string | undefined } {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || usec === "") {
    return { watchdogIntervalMs: undefined, watchdogProblem: undefined };
  }
  const off = (problem: string) => ({ watchdogIntervalMs: undefined, watchdogProblem: problem });
  if (!/^[0-9]+$/.test(usec) || Number(usec) === 0 || !Number.isSafeInteger(Number(usec))) {
    return off(`WATCHDOG_USEC must be a positive integer, received ${JSON.stringify(usec)}`);
  }
  const watchdogPid = env.WATCHDOG_PID;
  if (watchdogPid !== undefined && watchdogPid !== "") {
    if (!/^[0-9]+$/.test(watchdogPid)) {
      return off(`WATCHDOG_PID must be a process id, received ${JSON.stringify(watchdogPid)}`);
    }
    if (Number(watchdogPid) !== pid) {
      return off(`WATCHDOG_PID ${watchdogPid} is another process than this one (${pid})`);
    }
  }
  const intervalMs = Math.min(MAX_TIMER_MS, Math.max(1, Math.floor(Number(usec) / 2000)));
  return { watchdogIntervalMs: intervalMs, watchdogProblem: undefined };
}
