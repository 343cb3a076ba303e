/**
 * In-process handle on the fake NVML library's test hooks. `Deno.dlopen` of the same file
 * shares the library's state with the provider's handle. Parallel test workers share one
 * process: give each test its own copy of the library file.
 *
 * @module
 */

const HOOKS = {
  fake_nvml_configure: { parameters: ["i32", "i32", "buffer"], result: "void" },
  fake_nvml_inject_xid: { parameters: ["u32", "u64"], result: "void" },
  fake_nvml_inject_dbe: { parameters: ["u32"], result: "void" },
  fake_nvml_inject_sbe: { parameters: ["u32"], result: "void" },
  fake_nvml_set_lost: { parameters: ["i32", "i32"], result: "void" },
  fake_nvml_set_unsupported: { parameters: ["u32"], result: "void" },
  fake_nvml_wake: { parameters: [], result: "void" },
  fake_nvml_command: { parameters: ["buffer"], result: "void" },
  fake_nvml_waiters: { parameters: [], result: "i32" },
  fake_nvml_wait_calls: { parameters: [], result: "f64" },
  fake_nvml_init_count: { parameters: [], result: "i32" },
  fake_nvml_live_sets: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Drives the fake library from the test; close it when done so the library unloads. */
export class FakeControl implements Disposable {
  #lib: Deno.DynamicLibrary<typeof HOOKS>;

  constructor(path: string) {
    this.#lib = Deno.dlopen(path, HOOKS);
  }

  /**
   * Sets GPU count, nvmlInit_v2's result and the control file, instead of the process-wide
   * environment; call it before the provider starts.
   */
  configure(gpus: number, initError: number, controlFile: string): void {
    const path = new TextEncoder().encode(`${controlFile}\0`);
    this.#lib.symbols.fake_nvml_configure(gpus, initError, path);
  }

  xid(index: number, xid: number): void {
    this.#lib.symbols.fake_nvml_inject_xid(index, BigInt(xid));
  }

  doubleBitEcc(index: number): void {
    this.#lib.symbols.fake_nvml_inject_dbe(index);
  }

  singleBitEcc(index: number): void {
    this.#lib.symbols.fake_nvml_inject_sbe(index);
  }

  /** index -1: every GPU. */
  setLost(index: number, lost: boolean): void {
    this.#lib.symbols.fake_nvml_set_lost(index, lost ? 1 : 0);
  }

  setUnsupported(index: number): void {
    this.#lib.symbols.fake_nvml_set_unsupported(index);
  }

  /** Applies a control command now, e.g. "remap 0 1 0" (see fake_nvml.c). */
  command(line: string): void {
    this.#lib.symbols.fake_nvml_command(new TextEncoder().encode(`${line}\0`));
  }

  /** Makes pending waits return TIMEOUT now. */
  wake(): void {
    this.#lib.symbols.fake_nvml_wake();
  }

  /** Threads blocked in nvmlEventSetWait* right now. */
  waiters(): number {
    return this.#lib.symbols.fake_nvml_waiters();
  }

  /** nvmlEventSetWait* calls so far. */
  waitCalls(): number {
    return this.#lib.symbols.fake_nvml_wait_calls();
  }

  initCount(): number {
    return this.#lib.symbols.fake_nvml_init_count();
  }

  liveSets(): number {
    return this.#lib.symbols.fake_nvml_live_sets();
  }

  [Symbol.dispose](): void {
    this.#lib.close();
  }
}
