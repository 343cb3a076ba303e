/**
 * The driver's side of the worker processes: spawn, clock offset, commands.
 *
 * @module
 */
import { now } from "./_clock.ts";
import { LineReader, LineWriter, type Message } from "./_ipc.ts";
import type { Command, WorkerConfig } from "./_protocol.ts";
import { cpuMs } from "./_proc.ts";

const WORKER = new URL("./_worker.ts", import.meta.url).pathname;

/** Longest wait for a worker's reply: a hung server must not hang the benchmark. */
export const REPLY_TIMEOUT_MS = 120_000;

/** One load-generator process. */
export class WorkerProcess {
  readonly config: WorkerConfig;
  readonly #child: Deno.ChildProcess;
  readonly #replies: LineReader;
  readonly #commands: LineWriter;
  /** The worker's clock minus the driver's, in ms (see {@linkcode WorkerProcess.sync}). */
  offset = 0;
  /** Round trip of the best sync exchange, in ms: the offset's uncertainty is half of it. */
  syncRoundTrip = Infinity;

  private constructor(config: WorkerConfig) {
    this.config = config;
    this.#child = new Deno.Command(Deno.execPath(), {
      // No code cache: the workers load grpc-js under V8's default flags, and V8 rejects a cache
      // written under other flags, so a worker writing it would make every next server start cold.
      args: ["run", "-A", "--no-code-cache", WORKER, JSON.stringify(config)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#replies = new LineReader(this.#child.stdout);
    this.#commands = new LineWriter(this.#child.stdin);
  }

  /** Spawns a worker and measures its clock offset. */
  static async spawn(config: WorkerConfig): Promise<WorkerProcess> {
    const worker = new WorkerProcess(config);
    await worker.sync();
    return worker;
  }

  /** The worker's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** CPU time the worker used so far, in ms. */
  cpuMs(): Promise<number> {
    return cpuMs(this.pid);
  }

  /** Sends a command and waits for its one reply, at most {@linkcode REPLY_TIMEOUT_MS}. */
  async request(command: Command): Promise<Message> {
    await this.#commands.send(command);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Cannot ${command.cmd}: worker ${this.pid} did not answer`)),
        REPLY_TIMEOUT_MS,
      );
    });
    const reply = await Promise.race([this.#replies.next(), timeout]).finally(() =>
      clearTimeout(timer)
    );
    if (!reply) throw new Error(`Cannot ${command.cmd}: worker ${this.pid} exited`);
    if (typeof reply.error === "string") {
      throw new Error(`Cannot ${command.cmd}: worker ${this.pid}: ${reply.error}`);
    }
    return reply;
  }

  /**
   * Estimates the worker's clock offset NTP-style: the exchange with the
   * shortest round trip wins, and the worker's reading is taken to fall in
   * its middle.
   */
  async sync(rounds = 20): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      const sent = now();
      const { t } = await this.request({ cmd: "sync" });
      const received = now();
      if (received - sent < this.syncRoundTrip) {
        this.syncRoundTrip = received - sent;
        this.offset = (t as number) - (sent + received) / 2;
      }
    }
  }

  /** Asks the worker to exit and waits for it; kills it after 5 s. */
  async exit(): Promise<void> {
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5000);
    await this.#commands.send({ cmd: "exit" }).catch(() => {});
    await this.#commands.close();
    await this.#child.status;
    clearTimeout(timer);
  }
}

/** Sends the same command to every worker and waits for every reply. */
export function broadcast(workers: WorkerProcess[], command: Command): Promise<Message[]> {
  return Promise.all(workers.map((w) => w.request(command)));
}
