import assert from "node:assert/strict";
import { watchDirectories } from "../../src/tls/mod.ts";

async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "das-watch-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return dir;
}

Deno.test("watchDirectories() calls onChange when a file is renamed into the directory", async () => {
  const dir = await tempDir();
  const changed = Promise.withResolvers<void>();
  const watch = watchDirectories([dir], () => changed.resolve(), { debounceMs: 10 });
  try {
    assert.equal(watch.polling, false);
    await Deno.writeTextFile(`${dir}/.tls.crt.tmp`, "new");
    await Deno.rename(`${dir}/.tls.crt.tmp`, `${dir}/tls.crt`);
    await changed.promise;
  } finally {
    watch.close();
  }
});

Deno.test("watchDirectories() notices a Secret volume update (..data symlink swap)", async () => {
  const dir = await tempDir();
  // The kubelet's atomic writer: timestamped dir, ..data -> it, tls.crt -> ..data/tls.crt.
  await Deno.mkdir(`${dir}/..2025_01_01_00_00_00.1`);
  await Deno.writeTextFile(`${dir}/..2025_01_01_00_00_00.1/tls.crt`, "old");
  await Deno.symlink("..2025_01_01_00_00_00.1", `${dir}/..data`);
  await Deno.symlink("..data/tls.crt", `${dir}/tls.crt`);
  const changed = Promise.withResolvers<void>();
  const watch = watchDirectories([dir], () => changed.resolve(), { debounceMs: 10 });
  try {
    await Deno.mkdir(`${dir}/..2025_01_02_00_00_00.2`);
    await Deno.writeTextFile(`${dir}/..2025_01_02_00_00_00.2/tls.crt`, "new");
    await Deno.symlink("..2025_01_02_00_00_00.2", `${dir}/..data_tmp`);
    await Deno.rename(`${dir}/..data_tmp`, `${dir}/..data`);
    await Deno.remove(`${dir}/..2025_01_01_00_00_00.1`, { recursive: true });
    await changed.promise;
    assert.equal(await Deno.readTextFile(`${dir}/tls.crt`), "new");
  } finally {
    watch.close();
  }
});

Deno.test("watchDirectories() falls back to polling when a directory cannot be watched", async () => {
  const missing = `${await tempDir()}/missing`;
  const polled = Promise.withResolvers<void>();
  let reason: unknown;
  const watch = watchDirectories([missing], () => polled.resolve(), {
    fallbackIntervalMs: 10,
    onFallback: (err) => (reason = err),
  });
  try {
    assert.equal(watch.polling, true);
    assert.ok(reason instanceof Deno.errors.NotFound, String(reason));
    await polled.promise;
  } finally {
    watch.close();
  }
});
