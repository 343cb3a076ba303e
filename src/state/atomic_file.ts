/**
 * Replaces a file atomically and durably: a crash at any point leaves either
 * the old content or the new one, never a mix, and a completed replacement
 * survives a power loss.
 *
 * @module
 */
import { join } from "node:path";

/**
 * Writes `chunks` to `dir/name`: temporary file, fsync, rename over the old one,
 * fsync of the directory. Each chunk is written as it is, never copied: a caller
 * with many small records packs them first (the checkpoint's `Packer` does).
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  chunks: Iterable<Uint8Array>,
): Promise<number> {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  let bytes: number;
  {
    using file = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o600 });
    bytes = await writeChunks(file, chunks);
    await file.sync();
  }
  await Deno.rename(tmp, path);
  // The rename is durable only once the directory entry is.
  using parent = await Deno.open(dir, { read: true });
  await parent.sync();
  return bytes;
}

/**
 * Writes each chunk whole, in order, at the file's position (a write call may take less than it
 * is given); returns the bytes written.
 */
export async function writeChunks(
  file: Deno.FsFile,
  chunks: Iterable<Uint8Array>,
): Promise<number> {
  let bytes = 0;
  for (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) offset += await file.write(chunk.subarray(offset));
    bytes += chunk.length;
  }
  return bytes;
}

/** Reads a file, or returns null when it does not exist. */
export async function readFileIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}
