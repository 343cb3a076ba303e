import assert from "node:assert/strict";
import { join } from "node:path";
import { findNvmlLibrary, startNvmlProvider } from "../../src/nvml/mod.ts";
import { buildFakeNvml } from "./build_fake.ts";
import { CaptureLogger, MemoryWriter } from "./memory_writer.ts";

async function withRoot(fn: (root: string) => Promise<void> | void): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "driver-root-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function place(root: string, dir: string, file = "libnvidia-ml.so.1"): Promise<string> {
  await Deno.mkdir(join(root, dir), { recursive: true });
  const path = join(root, dir, file);
  await Deno.copyFile(await buildFakeNvml(), path);
  return path;
}

Deno.test("findNvmlLibrary() finds the library under a driver root", async () => {
  await withRoot(async (root) => {
    const path = await place(root, "usr/lib/x86_64-linux-gnu");
    assert.equal(findNvmlLibrary({ driverRoot: root }), path);
  });
});

Deno.test("findNvmlLibrary() searches /usr/lib64 before the Debian directories", async () => {
  await withRoot(async (root) => {
    await place(root, "usr/lib/x86_64-linux-gnu");
    const first = await place(root, "usr/lib64");
    assert.equal(findNvmlLibrary({ driverRoot: root }), first);
  });
});

Deno.test("findNvmlLibrary() finds the library in /usr/local/nvidia/lib64 (GKE, CUDA images)", async () => {
  await withRoot(async (root) => {
    const path = await place(root, "usr/local/nvidia/lib64");
    assert.equal(findNvmlLibrary({ driverRoot: root }), path);
  });
});

Deno.test("findNvmlLibrary() returns undefined when no library is there", async () => {
  await withRoot((root) => {
    assert.equal(findNvmlLibrary({ driverRoot: root }), undefined);
  });
});

Deno.test("findNvmlLibrary() keeps a relative symlink's own path", async () => {
  await withRoot(async (root) => {
    await place(root, "lib64", "libnvidia-ml.so.550.54.15");
    const link = join(root, "lib64", "libnvidia-ml.so.1");
    await Deno.symlink("libnvidia-ml.so.550.54.15", link);
    assert.equal(findNvmlLibrary({ driverRoot: root }), link);
  });
});

Deno.test("findNvmlLibrary() re-roots an absolute symlink under the driver root", async () => {
  await withRoot(async (root) => {
    const target = await place(root, "usr/lib/x86_64-linux-gnu", "libnvidia-ml.so.550.54.15");
    await Deno.mkdir(join(root, "usr/lib64"), { recursive: true });
    const link = join(root, "usr/lib64", "libnvidia-ml.so.1");
    await Deno.symlink("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15", link);
    assert.equal(findNvmlLibrary({ driverRoot: root }), target);
  });
});

Deno.test("findNvmlLibrary() skips a dangling symlink", async () => {
  await withRoot(async (root) => {
    await Deno.mkdir(join(root, "usr/lib64"), { recursive: true });
    await Deno.symlink("libnvidia-ml.so.999", join(root, "usr/lib64", "libnvidia-ml.so.1"));
    const path = await place(root, "lib/aarch64-linux-gnu");
    assert.equal(findNvmlLibrary({ driverRoot: root }), path);
  });
});

Deno.test("findNvmlLibrary() throws TypeError for a relative driver root", () => {
  assert.throws(() => findNvmlLibrary({ driverRoot: "run/nvidia/driver" }), TypeError);
});

Deno.test("startNvmlProvider() loads the library it finds under driverRoot", async () => {
  await withRoot(async (root) => {
    const path = await place(root, "usr/lib/x86_64-linux-gnu");
    const writer = new MemoryWriter();
    const provider = startNvmlProvider({
      writer,
      logger: new CaptureLogger(),
      driverRoot: root,
      waitTimeoutMs: 50,
    });
    await provider.started;
    await provider.stop();
    assert.equal(provider.up, true);
    assert.equal(provider.libraryPath, path);
    assert.equal(writer.gpus.size, 2);
  });
});
