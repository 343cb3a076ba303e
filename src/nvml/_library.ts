/**
 * Typed calls into a loaded NVML library: buffers in, values or {@linkcode NvmlError} out.
 *
 * @module
 */

import { checkNvml, NvmlError, NvmlReturn } from "./errors.ts";
import {
  cString,
  decodeEventData,
  EVENT_DATA_BYTES,
  type NvmlEventData,
  type NvmlRemappedRows,
  PCI_INFO_BYTES,
  pciBusIdOf,
  resetEventData,
  STRING_BYTES,
} from "./_structs.ts";
import { NVML_SYMBOLS, type NvmlDynamicLibrary } from "./_symbols.ts";

export type { NvmlEventData, NvmlRemappedRows };

const encoder = new TextEncoder();

type WaitFn = (set: bigint, data: Uint8Array, timeoutMs: number) => Promise<number>;

/** An opened `libnvidia-ml.so.1`; the caller owns init/shutdown and closing. */
export class NvmlLibrary {
  #lib: NvmlDynamicLibrary;
  #waiting = false;
  #u32 = new Uint32Array(1);
  #u64 = new BigUint64Array(1);
  #str = new Uint8Array(STRING_BYTES);
  // Owned by the in-flight wait: native code writes into it from another thread.
  #event = new Uint8Array(EVENT_DATA_BYTES);

  #wait: WaitFn | null;

  private constructor(lib: NvmlDynamicLibrary) {
    this.#lib = lib;
    const { symbols } = lib;
    this.#wait = symbols.hasEventSetWait_v2 !== null
      ? symbols.nvmlEventSetWait_v2
      : symbols.hasEventSetWait !== null
      ? symbols.nvmlEventSetWait
      : null;
  }

  /**
   * Loads the library at an absolute path.
   *
   * @throws {Deno.errors.NotCapable} When the path is outside the `--allow-ffi` scope.
   * @throws {Error} When the file cannot be loaded or lacks a required symbol.
   */
  static open(path: string): NvmlLibrary {
    return new NvmlLibrary(Deno.dlopen(path, NVML_SYMBOLS));
  }

  /** Whether the library has an event wait at all (v2 or legacy). */
  get canWaitForEvents(): boolean {
    return this.#wait !== null;
  }

  /** Whether an event wait is in flight (the library must not be closed then). */
  get waiting(): boolean {
    return this.#waiting;
  }

  init(): void {
    checkNvml(this.#lib.symbols.nvmlInit_v2(), "initialize NVML");
  }

  shutdown(): void {
    checkNvml(this.#lib.symbols.nvmlShutdown(), "shut down NVML");
  }

  driverVersion(): string {
    return this.#string((b, n) => this.#lib.symbols.nvmlSystemGetDriverVersion(b, n), "driver");
  }

  nvmlVersion(): string {
    const fn = this.#lib.symbols.nvmlSystemGetNVMLVersion;
    return fn === null ? "" : this.#string((b, n) => fn(b, n), "NVML");
  }

  deviceCount(): number {
    checkNvml(this.#lib.symbols.nvmlDeviceGetCount_v2(this.#u32), "count GPUs");
    return this.#u32[0]!;
  }

  handleByIndex(index: number): bigint {
    const code = this.#lib.symbols.nvmlDeviceGetHandleByIndex_v2(index, this.#u64);
    checkNvml(code, `get handle of GPU ${index}`);
    return this.#u64[0]!;
  }

  /** Returns null when the library lacks `nvmlDeviceGetHandleByUUID`. */
  handleByUuid(uuid: string): bigint | null {
    const fn = this.#lib.symbols.nvmlDeviceGetHandleByUUID;
    if (fn === null) return null;
    checkNvml(fn(encoder.encode(`${uuid}\0`), this.#u64), `get handle of GPU ${uuid}`);
    return this.#u64[0]!;
  }

  uuid(dev: bigint): string {
    return this.#string((b, n) => this.#lib.symbols.nvmlDeviceGetUUID(dev, b, n), "GPU UUID");
  }

  name(dev: bigint): string {
    return this.#string((b, n) => this.#lib.symbols.nvmlDeviceGetName(dev, b, n), "GPU name");
  }

  /** Returns "" where the board has no serial (NOT_SUPPORTED). */
  serial(dev: bigint): string {
    try {
      return this.#string((b, n) => this.#lib.symbols.nvmlDeviceGetSerial(dev, b, n), "serial");
    } catch (err) {
      if (err instanceof NvmlError && err.code === NvmlReturn.NOT_SUPPORTED) return "";
      throw err;
    }
  }

  /** PCI bus id as `%08X:%02X:%02X.0`; "" when the library has no PCI info call. */
  pciBusId(dev: bigint): string {
    const info = new Uint8Array(PCI_INFO_BYTES);
    const v3 = this.#lib.symbols.nvmlDeviceGetPciInfo_v3;
    const fn = v3 ?? this.#lib.symbols.nvmlDeviceGetPciInfo_v2;
    if (fn === null) return "";
    checkNvml(fn(dev, info), "get PCI info");
    return pciBusIdOf(info, v3 === null ? "v2" : "v3");
  }

  index(dev: bigint): number {
    checkNvml(this.#lib.symbols.nvmlDeviceGetIndex(dev, this.#u32), "get GPU index");
    return this.#u32[0]!;
  }

  minorNumber(dev: bigint): number {
    checkNvml(this.#lib.symbols.nvmlDeviceGetMinorNumber(dev, this.#u32), "get minor number");
    return this.#u32[0]!;
  }

  memoryTotalBytes(dev: bigint): number {
    const mem = new BigUint64Array(3);
    checkNvml(this.#lib.symbols.nvmlDeviceGetMemoryInfo(dev, mem), "get memory info");
    return Number(mem[0]!);
  }

  /** Returns null when the library lacks the call; errorType 0 corrected, 1 uncorrected. */
  totalEccErrors(dev: bigint, errorType: 0 | 1, counter: 0 | 1): bigint | null {
    const fn = this.#lib.symbols.nvmlDeviceGetTotalEccErrors;
    if (fn === null) return null;
    checkNvml(fn(dev, errorType, counter, this.#u64), "get ECC error count");
    return this.#u64[0]!;
  }

  /** Returns null when the library lacks `nvmlDeviceGetRemappedRows`. */
  remappedRows(dev: bigint): NvmlRemappedRows | null {
    const fn = this.#lib.symbols.nvmlDeviceGetRemappedRows;
    if (fn === null) return null;
    const v = new Uint32Array(4);
    checkNvml(
      fn(dev, v.subarray(0, 1), v.subarray(1, 2), v.subarray(2, 3), v.subarray(3, 4)),
      "get remapped rows",
    );
    return { correctable: v[0]!, uncorrectable: v[1]!, pending: v[2] !== 0, failure: v[3] !== 0 };
  }

  supportedEventTypes(dev: bigint): bigint {
    const code = this.#lib.symbols.nvmlDeviceGetSupportedEventTypes(dev, this.#u64);
    checkNvml(code, "get supported event types");
    return this.#u64[0]!;
  }

  registerEvents(dev: bigint, mask: bigint, set: bigint): void {
    checkNvml(this.#lib.symbols.nvmlDeviceRegisterEvents(dev, mask, set), "register events");
  }

  eventSetCreate(): bigint {
    checkNvml(this.#lib.symbols.nvmlEventSetCreate(this.#u64), "create event set");
    return this.#u64[0]!;
  }

  eventSetFree(set: bigint): void {
    checkNvml(this.#lib.symbols.nvmlEventSetFree(set), "free event set");
  }

  /**
   * Waits for one event without blocking the event loop.
   *
   * @returns The event, or null on TIMEOUT.
   * @throws {NvmlError} On any other failure, e.g. `NVML_ERROR_GPU_IS_LOST`.
   */
  async waitEvent(set: bigint, timeoutMs: number): Promise<NvmlEventData | null> {
    const fn = this.#wait;
    if (fn === null) throw new NvmlError("wait for events", NvmlReturn.FUNCTION_NOT_FOUND);
    if (this.#waiting) throw new Error("Cannot wait for NVML events: a wait is already in flight");
    const data = this.#event;
    resetEventData(data);
    this.#waiting = true;
    let code: number;
    try {
      code = await fn(set, data, timeoutMs);
    } finally {
      this.#waiting = false;
    }
    if (code === NvmlReturn.TIMEOUT) return null;
    checkNvml(code, "wait for NVML events");
    return decodeEventData(data);
  }

  /**
   * Unloads the library.
   *
   * @throws {Error} While a wait is in flight: unloading then crashes the process.
   */
  close(): void {
    if (this.#waiting) throw new Error("Cannot close NVML library: an event wait is in flight");
    this.#lib.close();
  }

  #string(call: (buf: Uint8Array, len: number) => number, what: string): string {
    checkNvml(call(this.#str, STRING_BYTES), `get ${what} string`);
    return cString(this.#str);
  }
}
