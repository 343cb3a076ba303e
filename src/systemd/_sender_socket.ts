/**
 * The datagram socket notifications leave from. Deno cannot send from an unbound Unix socket
 * under a scoped permission set, so ours is bound at a known path and removed on close.
 *
 * @module
 */
import { SENDER_SOCKET_NAME } from "./notify_env.ts";

/** Mode of our sending socket: nobody else needs to write into it. */
const SENDER_MODE = 0o600;

/** A bound datagram socket that sends to one notification socket. */
export interface SenderSocket {
  /** Where it is bound. */
  readonly path: string;
  /** Sends one datagram to the notification socket. */
  send(message: string): Promise<void>;
  /** Closes the socket and removes its file (and temporary directory); never throws. */
  close(): void;
}

/**
 * Binds a datagram socket at `bindPath` (a fresh temporary directory when undefined),
 * replacing a stale socket file left by a previous run.
 *
 * @throws {TypeError} when Deno.listenDatagram is missing (no `--unstable-net`)
 * @throws {Deno.errors.NotCapable} when the permission set does not cover the paths
 */
export function openSenderSocket(target: string, bindPath: string | undefined): SenderSocket {
  if (typeof Deno.listenDatagram !== "function") {
    throw new TypeError(
      "Cannot open a datagram socket: Deno.listenDatagram is unavailable; run deno with --unstable-net",
    );
  }
  const tempDir = bindPath === undefined
    ? Deno.makeTempDirSync({ prefix: "device-api-notify-" })
    : undefined;
  const path = bindPath ?? `${tempDir}/${SENDER_SOCKET_NAME}`;
  const cleanup = () => removeQuietly(tempDir ?? path, tempDir !== undefined);
  let conn: Deno.DatagramConn;
  try {
    removeStaleSocket(path);
    conn = Deno.listenDatagram({ transport: "unixpacket", path });
  } catch (err) {
    if (tempDir !== undefined) cleanup();
    throw err;
  }
  try {
    Deno.chmodSync(path, SENDER_MODE);
  } catch (err) {
    conn.close();
    cleanup();
    throw err;
  }
  const encoder = new TextEncoder();
  let closed = false;
  return {
    path,
    async send(message: string): Promise<void> {
      await conn.send(encoder.encode(message), { transport: "unixpacket", path: target });
    },
    close(): void {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch { /* already closed */ }
      cleanup();
    },
  };
}

function removeStaleSocket(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (!info.isSocket) {
    throw new Error(`Cannot bind ${path}: the path exists and is not a socket`);
  }
  Deno.removeSync(path);
}

function removeQuietly(path: string, recursive: boolean): void {
  try {
    Deno.removeSync(path, { recursive });
  } catch { /* gone already, or not ours to remove */ }
}
