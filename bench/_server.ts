/**
 * Starts the server exactly as `deno task start` does (`startCommand()`),
 * on a temporary Unix socket with TCP, health and metrics off.
 *
 * @module
 */
import { readConfigEnv } from "../src/config/mod.ts";
import { startCommand } from "../scripts/start.ts";
import { now } from "./_clock.ts";
import { LineReader } from "./_ipc.ts";
import { stopProcess } from "./_proc.ts";

/** Environment variable that replaces the server's `--v8-flags` ("" drops them). */
export const V8_FLAGS_ENV = "BENCH_V8_FLAGS";

/**
 * Environment variable naming a directory: the server runs under
 * `--cpu-prof` and writes its CPU profile there when the case ends
 * (summarize it with `deno run -A bench/profile_top.ts DIR/*.cpuprofile`).
 */
export const PROFILE_DIR_ENV = "BENCH_PROFILE_DIR";

/** Environment variable with extra server flags, space-separated (e.g. `--watch-queue-size=64`). */
export const SERVER_ARGS_ENV = "BENCH_SERVER_ARGS";

/** A running server under test. */
export interface BenchServer extends AsyncDisposable {
  pid: number;
  socket: string;
  /** The arguments it was started with. */
  args: string[];
  /** Milliseconds from spawning the process to its readiness (log line or accepting socket). */
  readyMs: number;
}

/** The `deno run` arguments of the start task, with the V8 flags override applied. */
export function serverArgs(
  socket: string,
  v8Flags: string | undefined,
  extra: string[] = [],
): string[] {
  const env = readConfigEnv();
  const args = startCommand([
    `--unix-socket=${socket}`,
    "--grpc-address=",
    "--health-port=0",
    "--metrics-port=0",
    "--enable-nvml-provider=false",
    "--log-format=json",
    // Checkpoints on (their cost is part of what is measured), never in /var/lib.
    `--state-dir=${socket.slice(0, socket.lastIndexOf("/"))}/state`,
    ...extra,
  ], env);
  if (v8Flags === undefined) return args;
  const rest = args.filter((a) => !a.startsWith("--v8-flags="));
  if (v8Flags === "") return rest;
  rest.splice(rest.indexOf("--no-prompt") + 1, 0, `--v8-flags=${v8Flags}`);
  return rest;
}

/** Starts a server and waits until it logs that it is ready. */
export async function startServer(
  v8Flags = Deno.env.get(V8_FLAGS_ENV),
  extra = (Deno.env.get(SERVER_ARGS_ENV) ?? "").split(" ").filter((a) => a !== ""),
): Promise<BenchServer> {
  const dir = await Deno.makeTempDir({ prefix: "das-bench-" });
  const socket = `${dir}/device.sock`;
  const args = serverArgs(socket, v8Flags, extra);
  const profileDir = Deno.env.get(PROFILE_DIR_ENV);
  if (profileDir) args.splice(1, 0, "--cpu-prof", `--cpu-prof-dir=${profileDir}`);
  const t0 = now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logs = new LineReader(child.stderr);
  const seen: string[] = [];
  while (true) {
    const line = await logs.next().catch(() => null);
    if (!line) {
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw new Error(`Cannot start the server: it exited; log:\n${seen.join("\n")}`);
    }
    seen.push(JSON.stringify(line));
    if (line.msg === "Server is ready") break;
  }
  const readyMs = now() - t0;
  // Keep reading so that a full pipe never blocks the server's logging.
  (async () => {
    while (await logs.next().catch(() => null));
  })();
  return {
    pid: child.pid,
    socket,
    args,
    readyMs,
    async [Symbol.asyncDispose]() {
      // A profiled server writes its profile on a graceful exit; others are killed at once.
      await stopProcess(child, profileDir ? 15_000 : 0);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
