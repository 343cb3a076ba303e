import { dirname } from "node:path";
import type { Config } from "./config.ts";

/**
 * Checks the file system before the server starts, so a missing directory or unreadable key
 * fails with one clear line instead of a bind error later. Creates missing socket directories
 * (mode 0750) as a side effect, as a DaemonSet hostPath or systemd RuntimeDirectory would.
 *
 * @param config a config from parseConfig (paths are absolute)
 * @returns one message per problem; empty when everything is usable
 * @example Usage
 * ```ts
 * import { DEFAULT_CONFIG } from "./flags.ts";
 * import { preflightConfig } from "./preflight.ts";
 * const dir = await Deno.makeTempDir();
 * const errors = await preflightConfig({ ...DEFAULT_CONFIG, unixSocket: `${dir}/run/device.sock` });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function preflightConfig(config: Config): Promise<string[]> {
  const errors: string[] = [];
  for (const socket of [config.unixSocket, config.consumerSocket]) {
    if (socket === "") continue;
    const problem = await checkSocket(socket);
    if (problem !== undefined) errors.push(problem);
  }
  const files: [string, string][] = [
    ["tls-cert-file", config.tlsCertFile],
    ["tls-key-file", config.tlsKeyFile],
    ["tls-client-ca-file", config.tlsClientCaFile],
  ];
  for (const [flag, path] of files) {
    if (path === "") continue;
    const problem = await checkReadable(path);
    if (problem !== undefined) {
      errors.push(`cannot read --${flag} ${JSON.stringify(path)}: ${problem}`);
    }
  }
  return errors;
}

async function checkSocket(socket: string): Promise<string | undefined> {
  const dir = dirname(socket);
  const where = `cannot use socket directory ${JSON.stringify(dir)}`;
  try {
    const info = await Deno.stat(dir);
    if (!info.isDirectory) return `${where}: not a directory`;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return `${where}: ${describe(e)}`;
    try {
      await Deno.mkdir(dir, { recursive: true, mode: 0o750 });
      await Deno.chmod(dir, 0o750); // the umask may have masked bits off
    } catch (e) {
      return `${where}: ${describe(e)}`;
    }
  }

  // Creating and removing a file is the only reliable test (ACLs, read-only mounts, root).
  const probe = `${dir}/.device-api-preflight-${Deno.pid}-${crypto.randomUUID()}`;
  try {
    const file = await Deno.open(probe, { createNew: true, write: true });
    file.close();
    await Deno.remove(probe);
  } catch (e) {
    return `${where}: ${describe(e)}`;
  }

  try {
    const info = await Deno.lstat(socket);
    if (info.isDirectory || info.isFile) {
      return `cannot use socket path ${JSON.stringify(socket)}: it exists and is not a socket`;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      return `cannot use socket path ${JSON.stringify(socket)}: ${describe(e)}`;
    }
  }
  return undefined;
}

async function checkReadable(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return "not a regular file";
    const file = await Deno.open(path, { read: true });
    file.close();
    return undefined;
  } catch (e) {
    return describe(e);
  }
}

/** Short lower-case reason for a file-system error, as Go's os errors print. */
function describe(e: unknown): string {
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.NotADirectory) return "a parent is not a directory";
  if (e instanceof Deno.errors.AlreadyExists) return "file exists";
  if (e instanceof Deno.errors.NotCapable) return `not allowed by Deno permissions: ${message(e)}`;
  return message(e);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
