/**
 * Helpers around the server subprocess for the reliability tests: a server
 * with /metrics on, metric and memory readings, bounded polling, children.
 *
 * @module
 */
import { freePort, type ServerProcess, startServer } from "../_helpers/server_process.ts";

/** Test options for tests that run subprocesses and open sockets: sanitizers on (they close and await all). */
export const SUBPROCESS_TEST = {};

/** A started server with its metrics port. */
export interface MeteredServer extends ServerProcess {
  metricsPort: number;
}

/** Starts the server with /metrics on a free loopback port. */
export async function startMeteredServer(
  args: string[] = [],
  dir?: string,
): Promise<MeteredServer> {
  const server = await startServer({ args: [`--metrics-port=${freePort()}`, ...args], dir });
  const line = server.logs.find((l) => l.msg === "Serving metrics");
  if (!line) throw new Error("Cannot find the metrics port: no 'Serving metrics' log line");
  return Object.assign(server, { metricsPort: Number(line.port) });
}

/** Scrapes /metrics once; gives up after 5 s so that no poll hangs on one scrape. */
export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  return await res.text();
}

/** The value of an unlabelled sample, or the sum of a labelled family's samples. */
export function metric(text: string, name: string): number {
  let sum = 0;
  let found = false;
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/);
    if (m && m[1] === name) {
      sum += Number(m[3]);
      found = true;
    }
  }
  if (!found) throw new Error(`Cannot find metric ${name} in the exposition`);
  return sum;
}

/** Resident memory of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function vmRssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!kb) throw new Error(`Cannot read VmRSS of process ${pid}`);
  return Number(kb[1]) * 1024;
}

/**
 * Polls `check` until it returns true; a bound on waiting for something the
 * server does asynchronously, never a measurement.
 *
 * @throws {Error} naming `what` when the condition does not hold within `timeoutMs`
 */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Number of server log lines with this message. */
export function countLogs(server: ServerProcess, msg: string): number {
  return server.logs.filter((l) => l.msg === msg).length;
}

/** A child Deno process running one of the helper scripts, with its stdout as lines. */
export interface ChildScript {
  child: Deno.ChildProcess;
  /** Lines printed so far. */
  lines: string[];
  /** Waits for a line matching the predicate. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** SIGKILLs the child (if still running) and waits for it and for its last output line. */
  kill(): Promise<Deno.CommandStatus>;
}

/** Runs `tests/reliability/<script>` with `-A` and these arguments. */
export function spawnScript(script: string, args: string[]): ChildScript {
  const path = new URL(script, import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", path, ...args],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines: string[] = [];
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const pump = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    }
  })().catch(() => {});
  return {
    child,
    lines,
    async waitForLine(match, timeoutMs = 20_000) {
      let found: string | undefined;
      await waitUntil(`child ${script} prints the expected line`, () => {
        found = lines.find(match);
        if (!found && exited) {
          throw new Error(`child ${script} exited; output:\n${lines.join("\n")}`);
        }
        return found !== undefined;
      }, timeoutMs);
      return found!;
    },
    async kill() {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
      const result = await status;
      await pump;
      return result;
    },
  };
}
