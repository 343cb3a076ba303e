/**
 * Runs the client side of a test in a child process, and retries a scenario only when the Deno
 * runtime of that child (or of the server) crashed: Deno 2.9.6 can abort inside nghttp2 when a
 * GOAWAY ends an HTTP/2 session (denoland/deno#36788), which says nothing about the code under
 * test, and in a child it cannot end the whole `deno test` run.
 *
 * @module
 */
import { Lines } from "../consumers/_lines.ts";

/** Signals of a runtime crash (the nghttp2 assertion aborts; a use-after-free segfaults). */
export const RUNTIME_CRASHES: ReadonlySet<string> = new Set(["SIGABRT", "SIGSEGV"]);

/** The client script of tests in which a server stops under open streams. */
export const SHUTDOWN_CLIENT: string = new URL("./_shutdown_client.ts", import.meta.url).pathname;

/** A child process whose stdout a test reads line by line. */
export class ChildClient implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly out: Lines;
  readonly status: Promise<Deno.CommandStatus>;
  #exited: Deno.CommandStatus | undefined;

  /** Spawns `deno run -A <args>` with stdout piped. */
  constructor(args: string[], options: { env?: Record<string, string> } = {}) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...args],
      env: options.env,
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).spawn();
    this.out = new Lines(this.child.stdout);
    this.status = this.child.status.then((s) => this.#exited = s);
  }

  /** Waits for a line matching `re` after index `from`; returns its index. */
  waitFor(re: RegExp, from = 0, timeoutMs?: number): Promise<number> {
    return this.out.waitFor(re, from, timeoutMs);
  }

  /** Kills the child unless it exited; resolves with how it ended. */
  async stop(signal: Deno.Signal = "SIGKILL"): Promise<Deno.CommandStatus> {
    if (!this.#exited) {
      try {
        this.child.kill(signal);
      } catch { /* exited meanwhile */ }
    }
    return await this.status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** A process a scenario started: a {@linkcode ChildClient} or a server. */
export interface Stoppable {
  /** Kills it unless it exited; resolves with how it ended. */
  stop(signal: "SIGKILL"): Promise<Deno.CommandStatus>;
}

/**
 * Runs `scenario` until it passes, again (at most `attempts` times in all) only while one of the
 * processes it tracked crashed in its runtime; any other failure is thrown at once. A server
 * counts too: its runtime can abort the same way while it sends or gets a GOAWAY (see "exits
 * with status 134" in docs/operations.md), which says nothing about what the scenario checks.
 */
export async function retryChildCrash(
  scenario: (track: <T extends Stoppable>(process: T) => T) => Promise<void>,
  attempts = 5,
): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const tracked: Stoppable[] = [];
    try {
      await scenario((p) => (tracked.push(p), p));
      return;
    } catch (err) {
      // Killing a process that is still running makes it end by SIGKILL: only an earlier crash
      // leaves SIGABRT or SIGSEGV.
      const ends = await Promise.all(tracked.map((p) => p.stop("SIGKILL")));
      const crash = ends.find((s) => s.signal && RUNTIME_CRASHES.has(s.signal));
      if (!crash) throw err;
      if (attempt >= attempts) {
        throw new Error(`a runtime crashed in each of ${attempt} attempts (${crash.signal})`, {
          cause: err,
        });
      }
      const which = ends.map((s) => s.signal ?? s.code).join(", ");
      const what = String(err instanceof Error ? err.message : err).split("\n")[0];
      console.warn(
        `A runtime crashed (denoland/deno#36788; processes ended: ${which}; ${what}): trying again.`,
      );
    } finally {
      await Promise.all(tracked.map((p) => p.stop("SIGKILL")));
    }
  }
}
