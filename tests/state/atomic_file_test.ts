/** writeFileAtomic on a real temporary directory. */
import assert from "node:assert/strict";
import { readFileIfExists, writeFileAtomic } from "../../src/state/atomic_file.ts";
import { concat } from "../reliability/_wire.ts";

/** `length` bytes counting up from `seed`, so that a chunk out of order or cut short shows. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed + i) & 0xff;
  return bytes;
}

/** A MiB of content, then the failure of whatever produces the rest. */
function* failingAfterOneMib(): Generator<Uint8Array> {
  yield pattern(1 << 20, 0);
  throw new Error("encoding failed");
}

Deno.test("writeFileAtomic() replaces the file with every chunk in order and returns their length", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeFileAtomic(dir, "f.bin", [pattern(10, 0)]);
    // Small, empty and multi-MiB chunks, as the version mark, journal header and checkpoint give.
    const chunks = [pattern(32, 1), new Uint8Array(0), pattern(3 << 20, 7), pattern(5, 3)];
    const bytes = await writeFileAtomic(dir, "f.bin", chunks);
    assert.equal(bytes, 32 + (3 << 20) + 5);
    assert.deepEqual(await Deno.readFile(`${dir}/f.bin`), concat(chunks));
    assert.equal(await readFileIfExists(`${dir}/f.bin.tmp`), null, "no temporary file is left");
    assert.equal((await Deno.stat(`${dir}/f.bin`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic() keeps the old content when the new one fails midway", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const old = pattern(100, 9);
    await writeFileAtomic(dir, "f.bin", [old]);
    await assert.rejects(writeFileAtomic(dir, "f.bin", failingAfterOneMib()), /encoding failed/);
    assert.deepEqual(await Deno.readFile(`${dir}/f.bin`), old);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFileIfExists() returns null for a missing file and the bytes of one that exists", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await readFileIfExists(`${dir}/missing`), null);
    await Deno.writeFile(`${dir}/present`, pattern(3, 1));
    assert.deepEqual(await readFileIfExists(`${dir}/present`), pattern(3, 1));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
