/**
 * Starts the real server as a subprocess on a temporary Unix socket and a
 * free loopback TCP port, for integration tests.
 *
 * @module
 */
import { type ClientOptions, DeviceApiClient } from "../../src/client/mod.ts";
import { FORWARDED_SIGNALS } from "../../scripts/start.ts";

/** Repository root. */
export const REPO_ROOT: string = new URL("../../", import.meta.url).pathname;
/** The server entry point. */
export const MAIN: string = `${REPO_ROOT}src/main.ts`;

/**
 * `deno task start`'s command: the launcher that derives the server's permission flags from its
 * arguments (scripts/start.ts); as `startServer()`'s `command`, the server runs as operators start it.
 */
export const LAUNCHER: readonly string[] = [
  Deno.execPath(),
  "run",
  "--allow-read",
  "--allow-env",
  "--allow-run",
  `${REPO_ROOT}scripts/start.ts`,
];

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  /** Extra flags. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Deno flags before the script (default `-A`). */
  denoFlags?: string[];
  /** Reuse this directory for the socket (e.g. to restart on the same path). */
  dir?: string;
  /** Disable the TCP listener. */
  noTcp?: boolean;
  /** Command to run instead of `deno run <flags> src/main.ts`. */
  command?: string[];
  /** Return as soon as the process is spawned instead of waiting for "Server is ready". */
  noWait?: boolean;
}

/** A running server subprocess. */
export interface ServerProcess extends AsyncDisposable {
  dir: string;
  socket: string;
  /** `127.0.0.1:PORT`, or "" without TCP. */
  tcpAddress: string;
  child: Deno.ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** A client on the Unix socket. */
  client(options?: ClientOptions): DeviceApiClient;
  /**
   * Sends a signal and waits for exit. Before a graceful stop (any signal but SIGKILL) it waits
   * until at most `openClients` connections (default 0) remain: the GOAWAY of a graceful stop
   * can crash a Deno 2.9.6 client that is still connected, or still closing (denoland/deno#36788),
   * so a test closes its own clients first, and clients that must see the stop run in a child
   * process (`child_client.ts`) and are counted in `openClients`. A server started through the
   * start task's launcher (`LAUNCHER`) gets the signal itself when the launcher would not forward
   * it (anything but SIGTERM and SIGINT), or when `server` is true; the launcher then exits with
   * the server's status.
   */
  stop(
    signal?: Deno.Signal,
    options?: { openClients?: number; server?: boolean },
  ): Promise<Deno.CommandStatus>;
  /** Resolves once at most `open` client connections (default 0) remain, closed at both ends. */
  disconnected(open?: number): Promise<void>;
  /** Resolves with the exit status. */
  status: Promise<Deno.CommandStatus>;
  /** Waits until a log line matches. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

/** Starts the server and waits until it logs "Server is ready". */
export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "das-test-" });
  const socket = `${dir}/device.sock`;
  const args = [
    `--unix-socket=${socket}`,
    `--grpc-address=${options.noTcp ? "" : "127.0.0.1:0"}`,
    "--health-port=0",
    "--metrics-port=0",
    "--log-format=json",
    "--v=2",
    // Never the production /var/lib/device-api: a restart on the same `dir` keeps the state.
    `--state-dir=${dir}/state`,
    ...(options.args ?? []),
  ];
  const cmd = options.command ?? [Deno.execPath(), "run", ...(options.denoFlags ?? ["-A"]), MAIN];
  const launched = cmd.includes(LAUNCHER[LAUNCHER.length - 1]!);
  const child = new Deno.Command(cmd[0]!, {
    args: [...cmd.slice(1), ...args],
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          logs.push(JSON.parse(line));
        } catch {
          logs.push({ raw: line });
        }
        for (const w of waiters) w();
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = child.status.then(async (s) => {
    await pumps;
    for (const w of waiters) w();
    return s;
  });
  let exited = false;
  let stopping = false; // stop() was called: an exit from then on is expected
  status.then(() => (exited = true));

  // A bound for liveness only: a server starts slowly on a loaded 2-core CI machine.
  const waitForLog = async (match: (l: Record<string, unknown>) => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = logs.find(match);
      if (found) return found;
      if (exited) {
        throw new Error(`server exited before the expected log line; logs:\n${dump(logs)}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for a log line; logs:\n${dump(logs)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 200);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  };

  const proc: ServerProcess = {
    dir,
    socket,
    tcpAddress: "",
    child,
    logs,
    status,
    waitForLog,
    // Each test client has a connection of its own, closed with it: grpc-js's shared pool would
    // hand a new client a connection that a closed one is still tearing down (ECONNRESET), and
    // keep a shared one open up to 10 s after its last client closed (stop() waits for it).
    client: (o = {}) =>
      new DeviceApiClient(`unix://${socket}`, {
        ...o,
        channelOptions: { "grpc.use_local_subchannel_pool": 1, ...o.channelOptions },
      }),
    disconnected: (open = 0) => disconnected({ dir, tcpAddress: proc.tcpAddress }, open),
    async stop(signal: Deno.Signal = "SIGTERM", { openClients = 0, server = false } = {}) {
      stopping = true;
      if (!exited && signal !== "SIGKILL") await proc.disconnected(openClients);
      if (!exited) {
        // A SIGKILL of the launcher alone would orphan the server, which keeps the output pipes
        // open: `status` would never resolve.
        const pid = launched && (server || !FORWARDED_SIGNALS.includes(signal))
          ? startedPid(logs)
          : 0;
        try {
          if (pid > 0) Deno.kill(pid, signal);
          else child.kill(signal);
        } catch { /* already gone */ }
      }
      return await status;
    },
    async [Symbol.asyncDispose]() {
      const stoppedByTest = stopping;
      if (!exited) await proc.stop("SIGKILL");
      // A server that crashed under a test (a runtime abort shows there as a reset or refused
      // call, often a moment before the process is gone) leaves its exit status and last lines
      // in the test's output.
      const ended = await status;
      if (!stoppedByTest && crashed(ended)) {
        console.error(`The server crashed before the test stopped it (${describe(ended)});`);
        console.error(`its last log lines:\n${dump(logs)}`);
      }
      if (!options.dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  if (options.noWait) return proc;
  try {
    await waitForLog((l) => l.msg === "Server is ready");
  } catch (err) {
    await proc[Symbol.asyncDispose]();
    throw err;
  }
  const tcp = logs.find((l) => l.msg === "Listening on TCP");
  if (tcp) proc.tcpAddress = `127.0.0.1:${tcp.port}`;
  return proc;
}

/** The server's own pid, from its start log line (the child's when started through the launcher). */
export function serverPid(server: ServerProcess): number {
  const pid = startedPid(server.logs);
  if (pid === 0) throw new Error("the server has not logged its start yet");
  return pid;
}

// The pid in the server's start log line, or 0 before it.
function startedPid(logs: Record<string, unknown>[]): number {
  const pid = Number(logs.find((l) => l.msg === "Starting device-api-server")?.pid);
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

/** Where a server listens, for {@linkcode openConnections}. */
export interface Listeners {
  /** The directory its Unix socket is bound in. */
  dir?: string;
  /** `127.0.0.1:PORT` of its TCP listener. */
  tcpAddress?: string;
}

/**
 * Connections the server accepted and has not closed: its connected sockets bound under `dir`,
 * and its side of TCP connections to `tcpAddress`.
 */
export async function openConnections({ dir = "", tcpAddress = "" }: Listeners): Promise<number> {
  let open = 0;
  if (dir !== "") {
    open += (await Deno.readTextFile("/proc/net/unix")).split("\n").filter((line) => {
      // Num RefCount Protocol Flags Type St Inode Path; St 03 is connected.
      const f = line.trim().split(/\s+/);
      return f[5] === "03" && f[7]?.startsWith(`${dir}/`);
    }).length;
  }
  if (tcpAddress !== "") {
    const port = Number(tcpAddress.slice(tcpAddress.lastIndexOf(":") + 1));
    open += (await Deno.readTextFile("/proc/net/tcp")).split("\n").filter((line) => {
      // sl local_address rem_address st: the server's side has the local port; 01 established,
      // 08 closed by the client but not yet by the server.
      const f = line.trim().split(/\s+/);
      return parseInt(f[1]?.split(":")[1] ?? "", 16) === port && (f[3] === "01" || f[3] === "08");
    }).length;
  }
  return open;
}

/**
 * Resolves once {@linkcode openConnections} is at most `open`; throws after `timeoutMs` (a
 * client was left open).
 */
export async function disconnected(
  listeners: Listeners,
  open = 0,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let now;
  while ((now = await openConnections(listeners)) > open) {
    if (Date.now() > deadline) {
      throw new Error(
        `${now} client connections to the server, expected at most ${open}: close the ` +
          "test's clients before the server stops; run those that must see it in a child",
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Ended by SIGABRT, SIGSEGV, SIGBUS or SIGILL, directly or as a launcher's 128 + signal.
function crashed(status: Deno.CommandStatus): boolean {
  const signals: (string | null)[] = ["SIGABRT", "SIGSEGV", "SIGBUS", "SIGILL"];
  return signals.includes(status.signal) || [134, 139, 135, 132].includes(status.code);
}

function describe(status: Deno.CommandStatus): string {
  return status.signal ? `signal ${status.signal}` : `exit status ${status.code}`;
}

function dump(logs: Record<string, unknown>[]): string {
  return logs.slice(-30).map((l) => JSON.stringify(l)).join("\n");
}

/** A minimal valid GPU for tests. */
export function testGpu(name: string, uuid = `GPU-${name}`, extra: Record<string, unknown> = {}) {
  return { metadata: { name }, spec: { uuid }, ...extra };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Whether something exists at `path` (a dangling symlink counts). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
