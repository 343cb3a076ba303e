/**
 * Builds the fake libnvidia-ml.so.1 from `fake_nvml.c` into `<repo>/.cache/fake-nvml/<variant>/`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("./fake_nvml.c", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Options of {@linkcode buildFakeNvml}. */
export interface BuildFakeNvmlOptions {
  /** Build the variant shaped like the oldest supported driver (`-DFAKE_OLD_DRIVER`). */
  oldDriver?: boolean;
}

function mtimeOf(path: string): number | undefined {
  try {
    return Deno.statSync(path).mtime?.getTime();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Compiles the fake library unless a build newer than the C source is cached, so every test
 * file can call it cheaply.
 *
 * @param options Which variant to build.
 * @returns The absolute path of `libnvidia-ml.so.1`.
 * @throws {Error} When the C compiler fails.
 */
export async function buildFakeNvml(options: BuildFakeNvmlOptions = {}): Promise<string> {
  const variant = options.oldDriver ? "old-driver" : "current";
  const out = join(REPO_ROOT, ".cache", "fake-nvml", variant, "libnvidia-ml.so.1");
  const built = mtimeOf(out);
  const source = mtimeOf(SOURCE);
  if (built !== undefined && source !== undefined && built >= source) return out;
  await Deno.mkdir(dirname(out), { recursive: true });
  // Build beside the target and rename, so that concurrent test processes never load half a file.
  const tmp = `${out}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
  const args = ["-shared", "-fPIC", "-O2", "-pthread", "-Wl,-z,now", "-Wall", "-o", tmp, SOURCE];
  if (options.oldDriver) args.unshift("-DFAKE_OLD_DRIVER");
  const result = await new Deno.Command("cc", { args, stdout: "piped", stderr: "piped" }).output();
  if (!result.success) {
    await Deno.remove(tmp).catch(() => {});
    const stderr = new TextDecoder().decode(result.stderr);
    throw new Error(`Cannot build fake NVML library: cc exited with ${result.code}\n${stderr}`);
  }
  await Deno.rename(tmp, out);
  return out;
}

/** Options of {@linkcode fakeDriverRoot}. */
export interface FakeDriverRootOptions extends BuildFakeNvmlOptions {
  /** GPUs the fake library reports; 2 when absent. */
  gpus?: number;
  /** More `FAKE_NVML_*` settings for the server's environment (delays, …). */
  env?: Record<string, string>;
}

/** A fake driver root: the server's environment, a control-file writer, and removal on dispose. */
export interface FakeDriverRoot extends AsyncDisposable {
  /** Pass as `--nvml-driver-root`. */
  readonly root: string;
  /** Pass as the server's environment. */
  readonly env: Record<string, string>;
  /** Sends one command to the fake library through its control file. */
  send(line: string): Promise<void>;
}

/**
 * Lays the fake library out in a driver-root of its own (a copy per test, so a
 * scoped --allow-ffi covers it) with a control file the test writes commands to.
 */
export async function fakeDriverRoot(options: FakeDriverRootOptions = {}): Promise<FakeDriverRoot> {
  const built = await buildFakeNvml(options);
  const dir = await Deno.makeTempDir({ prefix: "das-nvml-" });
  const libDir = `${dir}/usr/lib/x86_64-linux-gnu`;
  await Deno.mkdir(libDir, { recursive: true });
  await Deno.copyFile(built, `${libDir}/libnvidia-ml.so.1`);
  const control = `${dir}/control`;
  await Deno.writeTextFile(control, "");
  return {
    root: dir,
    env: {
      FAKE_NVML_GPU_COUNT: String(options.gpus ?? 2),
      FAKE_NVML_CONTROL: control,
      ...options.env,
    },
    send: (line) => Deno.writeTextFile(control, `${line}\n`, { append: true }),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
