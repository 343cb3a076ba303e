/**
 * Starts the NVML provider in-process against the fake library, with an in-memory writer.
 *
 * @module
 */

import {
  type NvmlProvider,
  type NvmlProviderOptions,
  startNvmlProvider,
} from "../../src/nvml/mod.ts";
import { buildFakeNvml } from "./build_fake.ts";
import { FakeControl } from "./fake_control.ts";
import { CaptureLogger, MemoryWriter } from "./memory_writer.ts";

/** Options of {@linkcode startHarness}. */
export interface HarnessOptions {
  gpus?: number;
  oldDriver?: boolean;
  initError?: number;
  /** Control-file lines applied synchronously by nvmlInit (e.g. "unsupported 1"). */
  commands?: string[];
  /** Provider options besides writer, logger and libraryPath. */
  provider?: Partial<NvmlProviderOptions>;
  /** Runs before the provider starts, e.g. to seed the writer. */
  seed?: (writer: MemoryWriter) => void;
}

/** A running provider on the fake library. */
export interface Harness extends AsyncDisposable {
  provider: NvmlProvider;
  writer: MemoryWriter;
  logger: CaptureLogger;
  control: FakeControl;
  libraryPath: string;
  controlFile: string;
  /** Appends a control command to the control file (the cross-process channel). */
  command(line: string): Promise<void>;
}

/**
 * Object name the provider gives fake GPU `index` (mirrors the UUID formula in fake_nvml.c).
 *
 * @param index The GPU's NVML index.
 */
export function fakeGpuName(index: number): string {
  return `gpu-${fakeUuid(index).slice(4)}`;
}

/**
 * UUID of fake GPU `index`, as fake_nvml.c formats it.
 *
 * @param index The GPU's NVML index.
 */
export function fakeUuid(index: number): string {
  const head = (0x3f2504e0 + index).toString(16).padStart(8, "0");
  const tail = (0x0305e82c3300 + index).toString(16).padStart(12, "0");
  return `GPU-${head}-4f89-11d3-9a0c-${tail}`;
}

/**
 * Copies the fake library into a temp dir of its own (parallel test workers share one process
 * and would otherwise share the library's state), configures it, starts the provider and
 * returns handles on everything; dispose it to stop the provider and unload the library.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const built = await buildFakeNvml({ oldDriver: options.oldDriver ?? false });
  const dir = await Deno.makeTempDir({ prefix: "fake-nvml-" });
  const libraryPath = `${dir}/libnvidia-ml.so.1`;
  await Deno.copyFile(built, libraryPath);
  const controlFile = `${dir}/control`;
  await Deno.writeTextFile(controlFile, (options.commands ?? []).map((c) => `${c}\n`).join(""));
  const control = new FakeControl(libraryPath);
  control.configure(options.gpus ?? 2, options.initError ?? 0, controlFile);
  const writer = new MemoryWriter();
  const logger = new CaptureLogger();
  options.seed?.(writer);
  const provider = startNvmlProvider({
    waitTimeoutMs: 50,
    ...options.provider,
    writer,
    logger,
    libraryPath,
  });
  await provider.started;
  return {
    provider,
    writer,
    logger,
    control,
    libraryPath,
    controlFile,
    command: (line) => Deno.writeTextFile(controlFile, `${line}\n`, { append: true }),
    async [Symbol.asyncDispose]() {
      await provider.stop();
      control[Symbol.dispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
