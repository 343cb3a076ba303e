/**
 * Starts any other implementation of the wire contract from a command
 * template (`--reference "COMMAND {SOCK}"`), so that the benchmark measures
 * it side by side with the project's server: same cases, same load, same
 * machine, same run.
 *
 * @module
 */
import { now, sleep } from "./_clock.ts";
import { stopProcess } from "./_proc.ts";
import type { BenchServer } from "./_server.ts";

/** The placeholder the template's Unix socket path replaces. */
export const SOCKET_PLACEHOLDER = "{SOCK}";

/** Longest wait for a reference server to accept connections. */
const READY_TIMEOUT_MS = 30_000;
/** How long a reference may take to exit after SIGTERM before it is killed. */
const REFERENCE_STOP_MS = 5_000;

/**
 * The `sh` arguments that run a template with `{SOCK}` replaced by a quoted
 * socket path. `exec` makes the server the spawned process itself, so that
 * its pid is the one whose CPU and memory are read from /proc.
 */
export function referenceArgs(template: string, socket: string, flag = "--reference"): string[] {
  if (!template.includes(SOCKET_PLACEHOLDER)) {
    throw new RangeError(
      `Cannot use ${flag} "${template}": it must contain ${SOCKET_PLACEHOLDER}, ` +
        "where the Unix socket path to listen on goes",
    );
  }
  const quoted = `'${socket.replaceAll("'", `'\\''`)}'`;
  return ["-c", `exec ${template.replaceAll(SOCKET_PLACEHOLDER, quoted)}`];
}

/** Starts a server from a command template and waits until its socket accepts a connection. */
export async function startReference(template: string): Promise<BenchServer> {
  const dir = await Deno.makeTempDir({ prefix: "das-bench-ref-" });
  const socket = `${dir}/device.sock`;
  const args = referenceArgs(template, socket);
  const t0 = now();
  const child = new Deno.Command("sh", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Keep its log flowing (a full pipe would block it) and keep the tail for errors.
  let tail = "";
  const drained = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (tail = (tail + chunk).slice(-4000)) }),
  ).catch(() => {});
  let exited = false;
  child.status.then(() => exited = true);
  // SIGTERM first, so that a reference run under --cpu-prof can write its profile.
  const dispose = async () => {
    await stopProcess(child, REFERENCE_STOP_MS);
    await drained;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  while (!(await accepts(socket))) {
    if (exited || now() - t0 > READY_TIMEOUT_MS) {
      await dispose();
      throw new Error(
        `Cannot start the reference server (${args[1]}): ` +
          `${exited ? "it exited" : "its socket never accepted"}; log:\n${tail}`,
      );
    }
    await sleep(5);
  }
  return {
    pid: child.pid,
    socket,
    args: ["sh", ...args],
    readyMs: now() - t0,
    [Symbol.asyncDispose]: dispose,
  };
}

async function accepts(socket: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path: socket });
    conn.close();
    return true;
  } catch {
    return false;
  }
}
