import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { buildFakeNvml } from "./build_fake.ts";

const SCRIPT = fileURLToPath(new URL("./scoped_provider.ts", import.meta.url));

interface Run {
  lines: Record<string, unknown>[];
  code: number;
  stderr: string;
}

/** Runs scoped_provider.ts; `onUp` runs once the provider reports that it is up. */
async function runScoped(
  permissions: string[],
  driverRoot: string,
  env: Record<string, string>,
  onUp: () => Promise<void>,
): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...permissions, SCRIPT, driverRoot],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const line = JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      lines.push(line);
      if (line.up === true) await onUp();
    }
  }
  const { code } = await child.status;
  return { lines, code, stderr: await stderr };
}

async function driverRootWithFake(): Promise<{ root: string; libDir: string }> {
  const root = await Deno.makeTempDir({ prefix: "scoped-root-" });
  const libDir = join(root, "usr/lib/x86_64-linux-gnu");
  await Deno.mkdir(libDir, { recursive: true });
  await Deno.copyFile(await buildFakeNvml(), join(libDir, "libnvidia-ml.so.1"));
  return { root, libDir };
}

Deno.test("startNvmlProvider() works under a path-scoped --allow-ffi in another process", async () => {
  const { root, libDir } = await driverRootWithFake();
  const control = join(root, "control");
  await Deno.writeTextFile(control, "");
  try {
    const run = await runScoped(
      [`--allow-ffi=${libDir}`, `--allow-read=${root}`],
      root,
      { FAKE_NVML_CONTROL: control, FAKE_NVML_GPU_COUNT: "2" },
      // The control file is the cross-process channel into the library the child loaded.
      () => Deno.writeTextFile(control, "xid 1 79\n", { append: true }),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.lines.find((l) => "up" in l), { up: true, reason: "", devices: 2 });
    assert.equal(run.lines.filter((l) => "ensureGpu" in l).length, 2);
    const unhealthy = run.lines.find((l) => JSON.stringify(l).includes('"status":"False"'));
    assert.equal(unhealthy?.writeStatus, "gpu-3f2504e1-4f89-11d3-9a0c-0305e82c3301");
    assert.match(JSON.stringify(unhealthy), /XID 79/);
    assert.deepEqual(run.lines.at(-1), { stopped: true });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("startNvmlProvider() is down when the library is outside the --allow-ffi scope", async () => {
  const { root } = await driverRootWithFake();
  try {
    const run = await runScoped(
      [`--allow-ffi=${join(root, "usr/lib64")}`, `--allow-read=${root}`],
      root,
      {},
      () => Promise.resolve(),
    );
    assert.equal(run.code, 0, run.stderr);
    const status = run.lines.find((l) => "up" in l);
    assert.equal(status?.up, false);
    assert.match(String(status?.reason), /^Cannot load NVML library .*--allow-ffi/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
