/**
 * A Unix socket listener the server owns, feeding accepted connections to
 * grpc-js through its public `createConnectionInjector()`.
 *
 * Owning the socket gives four things grpc-js's own bind cannot:
 * - each connection gets a peer string of its own (`connectionTag`), so
 *   quotas can count per connection;
 * - the socket is bound in a private 0700 directory, given its mode, and
 *   renamed into place: it is never reachable with a wider mode;
 * - its identity (device, inode) is remembered: at stop only our own socket
 *   is unlinked, and a socket file that disappears is noticed (readiness
 *   fails at once) and re-created by the next periodic check;
 * - the client's GOAWAY frames are neutralized before Deno's HTTP/2 layer
 *   parses them (`accept.ts`): on Deno 2.9.6 one can crash the process.
 *
 * @module
 */
import * as net from "node:net";
import { dirname } from "node:path";
import type { ConnectionInjector } from "@grpc/grpc-js";
import type { Logger } from "../logging/mod.ts";
import { acceptConnection } from "./accept.ts";
import type { ConnectionLimit } from "./connection_limit.ts";
import type { HeldBytesBudget } from "./held_bytes.ts";
import { connectionTag } from "./peer.ts";
import { prepareSocketPath, privateBindPath } from "./unix_socket.ts";

/** How often the socket file is checked, by default. */
export const SOCKET_CHECK_INTERVAL_MS = 2000;

/** Options of {@linkcode UnixListener}. */
export interface UnixListenerOptions {
  name: "unix-socket" | "consumer-socket";
  path: string;
  /** File mode of the socket, e.g. 0o660. */
  mode: number;
  injector: ConnectionInjector;
  logger: Logger;
  /** Milliseconds between checks of the socket file (default {@linkcode SOCKET_CHECK_INTERVAL_MS}). */
  checkIntervalMs?: number;
  /** The server-wide bound on what connections hold (unfinished requests, unread responses); none when absent. */
  held?: HeldBytesBudget;
  /** The bound on open connections; none when absent. */
  limit?: ConnectionLimit;
}

let accepted = 0; // connections accepted by every listener: tags stay unique

/** One Unix socket: bind, accept, watch the file, unlink our own at stop. */
export class UnixListener {
  readonly #o: UnixListenerOptions;
  readonly #log: Logger;
  #server: net.Server | undefined;
  // (device, inode) of the socket file we bound; compared before unlinking.
  #identity: { dev: number; ino: number | null } | undefined;
  readonly #connections = new Set<net.Socket>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #checking = false;
  #replacedLogged = false;
  #stopped = false;

  /** Creates the listener; nothing binds until {@linkcode start}. */
  constructor(options: UnixListenerOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Which listener this is. */
  get name(): "unix-socket" | "consumer-socket" {
    return this.#o.name;
  }

  /** Open connections. */
  get connections(): number {
    return this.#connections.size;
  }

  /**
   * Binds the socket and starts checking its file.
   *
   * @throws {Error} naming the path when it cannot be bound
   */
  async start(): Promise<void> {
    await prepareSocketPath(this.#o.path);
    await this.#bind();
    this.#timer = setInterval(
      () => void this.check(),
      this.#o.checkIntervalMs ?? SOCKET_CHECK_INTERVAL_MS,
    );
    Deno.unrefTimer(this.#timer);
  }

  /**
   * Why the socket file is not ours right now (removed or replaced), or null
   * when it is. Synchronous and cheap (one lstat), for readiness probes.
   */
  problem(): string | null {
    if (this.#identity === undefined) return null;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(this.#o.path);
    } catch {
      return `socket ${this.#o.path} was removed`;
    }
    return this.#isOurs(info) ? null : `socket ${this.#o.path} was replaced by another file`;
  }

  /**
   * Re-creates the socket when its file disappeared (logged). A file that
   * replaced it belongs to someone else and is left alone: readiness keeps
   * failing and an error is logged once.
   */
  async check(): Promise<void> {
    if (this.#checking || this.#stopped) return;
    const problem = this.problem();
    if (problem === null) return;
    this.#checking = true;
    try {
      if (await exists(this.#o.path)) {
        if (!this.#replacedLogged) {
          this.#log.error(new Error(problem), "Socket path taken by another file; leaving it");
          this.#replacedLogged = true;
        }
        return;
      }
      this.#replacedLogged = false;
      this.#log.warning("Socket file disappeared; re-creating it", "path", this.#o.path);
      const old = this.#server;
      await this.#bind();
      old?.close(); // stops accepting on the unlinked inode; open connections stay
    } catch (err) {
      this.#log.error(err, "Cannot re-create the socket", "path", this.#o.path);
    } finally {
      this.#checking = false;
    }
  }

  /**
   * Stops accepting and unlinks the socket file if it is still ours (a newer
   * instance may have bound the path since). Open connections are grpc-js's
   * to close.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const server = this.#server;
    this.#server = undefined;
    // Stops accepting at once; close()'s callback would wait for every open
    // connection, which grpc-js drains or destroys afterwards.
    server?.close();
    if (this.#identity === undefined) return;
    try {
      if (this.#isOurs(await Deno.lstat(this.#o.path))) await Deno.remove(this.#o.path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    this.#identity = undefined;
  }

  // Binds in the private directory, sets the mode, renames into place.
  async #bind(): Promise<void> {
    const { path, mode } = this.#o;
    const tmp = privateBindPath(path);
    const dir = dirname(tmp);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700); // an existing directory too
    await Deno.remove(tmp).catch(() => {}); // left by a crash
    const server = net.createServer((socket) => this.#accept(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(tmp, () => resolve());
      });
      await Deno.chmod(tmp, mode);
      const info = await Deno.lstat(tmp);
      await Deno.rename(tmp, path);
      this.#identity = { dev: info.dev, ino: info.ino };
    } catch (err) {
      server.close();
      throw new Error(`Cannot listen on ${path}: ${(err as Error).message}`);
    } finally {
      await Deno.remove(dir).catch(() => {}); // not empty while another socket binds there
    }
    this.#server = server;
    this.#log.info("Listening on Unix socket", "path", path, "mode", `0${mode.toString(8)}`);
  }

  #accept(socket: net.Socket): void {
    if (this.#o.limit?.admit(socket) === false) return;
    // grpc-js reports `remoteAddress` as the call's peer: one tag per connection.
    Object.defineProperty(socket, "remoteAddress", {
      value: connectionTag(this.#o.name, ++accepted),
      configurable: true,
    });
    acceptConnection(socket, this.#connections, this.#o.injector, this.#log, this.#o.held);
  }

  #isOurs(info: Deno.FileInfo): boolean {
    return this.#identity !== undefined && info.dev === this.#identity.dev &&
      info.ino === this.#identity.ino;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
