/**
 * Replaces a file atomically and durably: a crash at any point leaves either
 * the old content or the new one, never a mix, and a completed replacement
 * survives a power loss.
 *
 * @module
 */
import { join } from "node:path";

const WRITE_BUFFER_BYTES = 1024 * 1024;

/** Writes `chunks` to `dir/name`: temporary file, fsync, rename over the old one, fsync of the directory. */
export async function writeFileAtomic(
  dir: string,
  name: string,
  chunks: Iterable<Uint8Array>,
): Promise<number> {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  let bytes = 0;
  {
    using file = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o600 });
    const writeAll = async (data: Uint8Array) => {
      let offset = 0;
      while (offset < data.length) offset += await file.write(data.subarray(offset));
    };
    // Small chunks are packed into one buffer: one write call per MiB, not per record.
    const buffer = new Uint8Array(WRITE_BUFFER_BYTES);
    let used = 0;
    for (const chunk of chunks) {
      bytes += chunk.length;
      if (used + chunk.length > buffer.length) {
        await writeAll(buffer.subarray(0, used));
        used = 0;
      }
      if (chunk.length >= buffer.length) {
        await writeAll(chunk);
      } else {
        buffer.set(chunk, used);
        used += chunk.length;
      }
    }
    await writeAll(buffer.subarray(0, used));
    await file.sync();
  }
  await Deno.rename(tmp, path);
  // The rename is durable only once the directory entry is.
  using parent = await Deno.open(dir, { read: true });
  await parent.sync();
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
