/**
 * The sd_notify protocol without native addons: READY, STOPPING, STATUS and watchdog pings
 * sent as datagrams to `$NOTIFY_SOCKET`.
 *
 * @module
 */
import type { Logger } from "../logging/mod.ts";
import { type NotifyEnv, planNotify } from "./notify_env.ts";
import { openSenderSocket, type SenderSocket } from "./_sender_socket.ts";

/** Tells systemd about the server's life cycle; every method is a no-op when not under systemd. */
export interface Notifier {
  /** Whether notifications are sent: NOTIFY_SOCKET is usable and our socket is bound. */
  readonly enabled: boolean;
  /** Milliseconds between watchdog pings; undefined when the watchdog is off. */
  readonly watchdogIntervalMs: number | undefined;
  /** Sends `READY=1`, `MAINPID=` and a `STATUS=` line: call it once every listener is bound. */
  ready(status?: string): Promise<void>;
  /** Sends `STOPPING=1` and a `STATUS=` line: call it first thing when shutdown starts. */
  stopping(status?: string): Promise<void>;
  /** Sends a `STATUS=` line, shown by `systemctl status`. */
  status(text: string): Promise<void>;
  /** Pings `WATCHDOG=1` now and every half WATCHDOG_USEC from an unref'd timer on the main loop. */
  startWatchdog(): void;
  /** Stops the watchdog and closes the socket; later calls send nothing. */
  stop(): void;
}

/**
 * Creates the notifier, so that a `Type=notify` unit learns when the server is ready, when it
 * stops and that its event loop still runs; failures are logged, never thrown.
 *
 * @param env NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID and RUNTIME_DIRECTORY (see readNotifyEnv)
 * @param logger where problems go; a bad NOTIFY_SOCKET is warned about once, here
 * @returns a notifier, disabled when NOTIFY_SOCKET is unset or unusable
 * @example Usage
 * ```ts
 * import { createNotifier } from "./notify.ts";
 * import { nopLogger } from "../logging/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const notifier = createNotifier({}, nopLogger);
 * assert.equal(notifier.enabled, false);
 * await notifier.ready();
 * notifier.stop();
 * ```
 */
export function createNotifier(env: NotifyEnv, logger: Logger): Notifier {
  return new SystemdNotifier(env, logger);
}

class SystemdNotifier implements Notifier {
  readonly #log: Logger;
  readonly #socketPath: string | undefined;
  readonly #watchdogMs: number | undefined;
  #socket: SenderSocket | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  /** Set after a failed send, so a broken socket logs once and not at every watchdog ping. */
  #failing = false;

  constructor(env: NotifyEnv, logger: Logger) {
    this.#log = logger;
    const plan = planNotify(env, Deno.pid);
    this.#socketPath = plan.socketPath;
    this.#watchdogMs = plan.watchdogIntervalMs;
    if (plan.socketProblem !== undefined) {
      logger.warning(
        "systemd notification is disabled",
        "reason",
        plan.socketProblem,
        "NOTIFY_SOCKET",
        env.NOTIFY_SOCKET,
      );
      return;
    }
    if (plan.socketPath === undefined) return;
    try {
      this.#socket = openSenderSocket(plan.socketPath, plan.senderPath);
    } catch (err) {
      logger.error(
        err,
        "Cannot notify systemd: the sending socket cannot be opened",
        "NOTIFY_SOCKET",
        plan.socketPath,
        "path",
        plan.senderPath ?? "(temporary directory)",
      );
      return;
    }
    logger.V(1).info(
      "Notifying systemd",
      "NOTIFY_SOCKET",
      plan.socketPath,
      "from",
      this.#socket.path,
      "watchdogInterval",
      this.#watchdogMs === undefined ? "off" : `${this.#watchdogMs}ms`,
    );
    if (plan.watchdogProblem !== undefined) {
      logger.V(1).info("systemd watchdog is off", "reason", plan.watchdogProblem);
    }
  }

  get enabled(): boolean {
    return this.#socket !== undefined && !this.#stopped;
  }

  get watchdogIntervalMs(): number | undefined {
    return this.enabled ? this.#watchdogMs : undefined;
  }

  ready(status = "Serving"): Promise<void> {
    return this.#send(`READY=1\nMAINPID=${Deno.pid}\nSTATUS=${oneLine(status)}`);
  }

  stopping(status = "Shutting down"): Promise<void> {
    return this.#send(`STOPPING=1\nSTATUS=${oneLine(status)}`);
  }

  status(text: string): Promise<void> {
    return this.#send(`STATUS=${oneLine(text)}`);
  }

  startWatchdog(): void {
    const intervalMs = this.watchdogIntervalMs;
    if (intervalMs === undefined || this.#timer !== undefined) return;
    const ping = () => void this.#send("WATCHDOG=1");
    const timer = setInterval(ping, intervalMs);
    // The ping must never be what keeps the process alive.
    Deno.unrefTimer(timer);
    this.#timer = timer;
    ping();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#socket?.close();
  }

  async #send(message: string): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || this.#stopped) return;
    try {
      await socket.send(message);
      if (this.#failing) this.#log.info("Notifying systemd works again");
      this.#failing = false;
    } catch (err) {
      if (this.#stopped) return; // stop() closed the socket under a pending send
      const kind = message.slice(0, message.indexOf("="));
      if (this.#failing && kind === "WATCHDOG") return;
      this.#failing = true;
      this.#log.error(
        err,
        "Cannot notify systemd",
        "message",
        kind,
        "NOTIFY_SOCKET",
        this.#socketPath,
      );
    }
  }
}

/** A STATUS value ends at the first newline in the protocol, so newlines become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}
