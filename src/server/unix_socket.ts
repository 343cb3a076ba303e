/**
 * Preparing and cleaning up a Unix socket path.
 *
 * @module
 */
import { basename, dirname } from "node:path";

/**
 * Where a socket is bound before it is renamed to `path`: a private (0700)
 * directory beside it, so the bind needs no permission outside that folder.
 *
 * @param path the socket path
 * @returns the temporary bind path
 */
export function privateBindPath(path: string): string {
  return `${dirname(path)}/.das/${basename(path)}`;
}

/** Mode of a socket directory the server creates. */
export const SOCKET_DIR_MODE = 0o750;

/**
 * Makes `path` bindable: creates its directory (0750) when missing, removes a
 * stale socket left by a dead process, and refuses a socket that a live
 * server still answers on or a path that is not a socket.
 *
 * @throws {Error} naming the path and what to do
 */
export async function prepareSocketPath(path: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: SOCKET_DIR_MODE });
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (!info.isSocket) {
    throw new Error(
      `Cannot listen on ${path}: the path exists and is not a socket; remove it or choose another path`,
    );
  }
  if (await answers(path)) {
    throw new Error(
      `Cannot listen on ${path}: another server is listening on it; stop that server or choose another path`,
    );
  }
  await Deno.remove(path);
}

async function answers(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionRefused || err instanceof Deno.errors.NotFound) {
      return false;
    }
    throw err;
  }
}
