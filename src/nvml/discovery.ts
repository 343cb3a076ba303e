/**
 * Finds `libnvidia-ml.so.1` under a driver root. The result is always an absolute path: under a
 * path-scoped `--allow-ffi` a bare library name never loads.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";

/** File name of the NVML library. */
export const NVML_LIBRARY_NAME = "libnvidia-ml.so.1";

/**
 * Directories searched under the driver root, in order: the NVIDIA device plugin's, then
 * `/usr/local/nvidia/lib64` (GKE's driver mount and the CUDA images' library path) before the
 * generic `/usr/lib` and `/lib`, which on such machines hold only an absolute link into it: a
 * link that leads outside these directories is outside the server's permission scope too.
 */
export const NVML_LIBRARY_DIRS: readonly string[] = [
  "/usr/lib64",
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/lib64",
  "/lib/x86_64-linux-gnu",
  "/lib/aarch64-linux-gnu",
  "/usr/local/nvidia/lib64",
  "/usr/lib",
  "/lib",
  "/usr/lib/wsl/lib",
];

const MAX_LINK_HOPS = 16;

/** Options of {@linkcode findNvmlLibrary}. */
export interface FindNvmlLibraryOptions {
  /** Root of the driver installation, e.g. `/run/nvidia/driver` for the GPU operator (default `/`). */
  driverRoot?: string;
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Follows symbolic links whose target is absolute by re-rooting the target under the driver
 * root (inside a container the driver root's absolute links point at the host's paths).
 * Relative links are left to the loader, so the returned path keeps the directory that
 * `--allow-ffi` is scoped to.
 */
function resolveUnderRoot(root: string, path: string): string | undefined {
  let current = path;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    const info = lstatOrUndefined(current);
    if (info === undefined) return undefined;
    if (!info.isSymlink) return current;
    const target = Deno.readLinkSync(current);
    if (!isAbsolute(target)) return existsFollowing(current) ? current : undefined;
    current = join(root, target);
  }
  return undefined;
}

function existsFollowing(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Searches the usual library directories under a driver root for the NVML library.
 *
 * @param options Where the driver is installed.
 * @returns The absolute path of the library, or undefined when none is found.
 * @throws {TypeError} When `driverRoot` is not an absolute path.
 * @throws {Deno.errors.NotCapable} When `--allow-read` does not cover the searched directories.
 * @example Usage
 * ```ts
 * import { findNvmlLibrary } from "./discovery.ts";
 * const path = findNvmlLibrary({ driverRoot: "/run/nvidia/driver" });
 * console.log(path ?? "no NVML library");
 * ```
 */
export function findNvmlLibrary(options: FindNvmlLibraryOptions = {}): string | undefined {
  const root = options.driverRoot ?? "/";
  if (!isAbsolute(root)) {
    throw new TypeError(
      `Cannot search for the NVML library: driver root '${root}' is not an absolute path`,
    );
  }
  for (const dir of NVML_LIBRARY_DIRS) {
    const found = resolveUnderRoot(root, join(root, dir, NVML_LIBRARY_NAME));
    if (found !== undefined) return found;
  }
  return undefined;
}
