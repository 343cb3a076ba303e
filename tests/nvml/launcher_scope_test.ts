/**
 * The NVML library under the start task's permission scope (scripts/start.ts), on the driver
 * layouts seen on real machines: the scope allows the searched directories only, so where a link
 * leads matters.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { LAUNCHER, startServer } from "../_helpers/server_process.ts";
import { buildFakeNvml } from "./build_fake.ts";

const LIBRARY = "libnvidia-ml.so.1";

/**
 * A driver root where `/lib/libnvidia-ml.so.1` is an absolute link to `<dir>/libnvidia-ml.so.1`,
 * itself a relative link to the versioned file: the layout of an H200 machine here, of GKE's
 * driver mount and of the CUDA images with `dir` `/usr/local/nvidia/lib64`.
 */
async function linkedRoot(dir: string): Promise<{ root: string; library: string }> {
  const root = await Deno.makeTempDir({ prefix: "linked-root-" });
  await Deno.mkdir(join(root, dir), { recursive: true });
  await Deno.mkdir(join(root, "lib"), { recursive: true });
  await Deno.copyFile(await buildFakeNvml(), join(root, dir, "libnvidia-ml.so.580.159.04"));
  await Deno.symlink("libnvidia-ml.so.580.159.04", join(root, dir, LIBRARY));
  await Deno.symlink(join(dir, LIBRARY), join(root, "lib", LIBRARY));
  return { root, library: join(root, dir, LIBRARY) };
}

const env = { FAKE_NVML_GPU_COUNT: "2" };

/** Starts the server through the start task's launcher and counts the GPUs it publishes. */
async function gpusServed(args: string[]): Promise<number> {
  await using server = await startServer({ command: [...LAUNCHER], args, env });
  const client = server.client();
  let count = 0;
  try {
    for (let i = 0; i < 200 && count === 0; i++) {
      count = (await client.list()).items.length;
      if (count === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.close();
  }
  assert.equal((await server.stop()).code, 0);
  return count;
}

Deno.test("the start task's scope loads a driver linked into /usr/local/nvidia/lib64", async () => {
  const { root } = await linkedRoot("/usr/local/nvidia/lib64");
  try {
    assert.equal(await gpusServed([`--nvml-driver-root=${root}`]), 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a link out of the start task's scope fails NVML with the flag that fixes it", async () => {
  const { root, library } = await linkedRoot("/opt/driver/lib");
  try {
    {
      await using server = await startServer({
        command: [...LAUNCHER],
        args: [`--nvml-driver-root=${root}`],
        env,
      });
      const down = await server.waitForLog((l) =>
        l.msg === "NVML provider is down; the server keeps serving"
      );
      assert.match(String(down.reason), /outside the server's permission scope/);
      assert.match(String(down.reason), /set --nvml-library-path to the library's own path/);
      assert.equal((await server.stop()).code, 0);
    }
    assert.equal(await gpusServed([`--nvml-library-path=${library}`]), 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
