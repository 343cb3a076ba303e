/**
 * Preparing and cleaning up a Unix socket path.
 *
 * @module
 */
import { dirname } from "node:path";

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
