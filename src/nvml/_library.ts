/**
 * Typed calls into a loaded NVML library: buffers in, values or {@linkcode NvmlError} out.
 * Every call is asynchronous (a `nonblocking` symbol on a thread of its own) and, except
 * nvmlInit and the event wait, limited in time by a {@linkcode CallGate}. Each call has buffers
 * of its own: a call that timed out may still write into them later.
 *
 * @module
 */

import { CallGate, type CallScope } from "./_call_gate.ts";
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
type Symbols = NvmlDynamicLibrary["symbols"];

/** Which optional calls the loaded library has. */
export interface NvmlCapabilities {
  remappedRows: boolean;
  retiredPages: boolean;
  retiredPagesPending: boolean;
  eccCounts: boolean;
  clockEventReasons: "events" | "throttle" | null;
  temperature: boolean;
  temperatureThreshold: boolean;
}

/** An opened `libnvidia-ml.so.1`; the caller owns init/shutdown and closing. */
export class NvmlLibrary {
  #lib: NvmlDynamicLibrary;
  #s: Symbols;
  #gate: CallGate;
  #waiting = false;
  #wait: WaitFn | null;
  /** Which optional calls exist. */
  readonly capabilities: NvmlCapabilities;

  private constructor(lib: NvmlDynamicLibrary, callTimeoutMs: number) {
    this.#lib = lib;
    const s = lib.symbols;
    this.#s = s;
    this.#gate = new CallGate(callTimeoutMs);
    this.#wait = s.has_nvmlEventSetWait_v2 !== null
      ? s.nvmlEventSetWait_v2
      : s.has_nvmlEventSetWait !== null
      ? s.nvmlEventSetWait
      : null;
    this.capabilities = {
      remappedRows: s.has_nvmlDeviceGetRemappedRows !== null,
      retiredPages: s.has_nvmlDeviceGetRetiredPages !== null,
      retiredPagesPending: s.has_nvmlDeviceGetRetiredPagesPendingStatus !== null,
      eccCounts: s.has_nvmlDeviceGetTotalEccErrors !== null,
      clockEventReasons: s.has_nvmlDeviceGetCurrentClocksEventReasons !== null
        ? "events"
        : s.has_nvmlDeviceGetCurrentClocksThrottleReasons !== null
        ? "throttle"
        : null,
      temperature: s.has_nvmlDeviceGetTemperature !== null,
      temperatureThreshold: s.has_nvmlDeviceGetTemperatureThreshold !== null,
    };
  }

  /**
   * Loads the library at an absolute path.
   *
   * @param path Absolute path of the library.
   * @param callTimeoutMs Per-call limit in milliseconds.
   * @throws {Deno.errors.NotCapable} When the path is outside the `--allow-ffi` scope.
   * @throws {Error} When the file cannot be loaded or lacks a required symbol.
   */
  static open(path: string, callTimeoutMs: number): NvmlLibrary {
    return new NvmlLibrary(Deno.dlopen(path, NVML_SYMBOLS), callTimeoutMs);
  }

  /** Whether the library has an event wait at all (v2 or legacy). */
  get canWaitForEvents(): boolean {
    return this.#wait !== null;
  }

  /** Whether an event wait is in flight (the library must not be closed then). */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** The per-call limit in milliseconds. */
  get callTimeoutMs(): number {
    return this.#gate.timeoutMs;
  }

  /** Calls in flight (the library must not be closed while any is). */
  get inflight(): number {
    return this.#gate.inflight;
  }

  /** Whether a call about this GPU passed its limit and has not returned yet. */
  isHung(dev: bigint): boolean {
    return this.#gate.isHung(dev);
  }

  /** Waits until no call is in flight, at most `ms`; false when some still are. */
  whenIdle(ms: number): Promise<boolean> {
    return this.#gate.whenIdle(ms);
  }

  /** Not time-limited: a slow init (many GPUs, no persistence mode) just keeps the provider starting. */
  async init(): Promise<void> {
    await this.#check("system", "initialize NVML", () => this.#s.nvmlInit_v2(), false);
  }

  async shutdown(): Promise<void> {
    await this.#check("system", "shut down NVML", () => this.#s.nvmlShutdown());
  }

  driverVersion(): Promise<string> {
    return this.#string("system", "driver", (b, n) => this.#s.nvmlSystemGetDriverVersion(b, n));
  }

  async nvmlVersion(): Promise<string> {
    if (this.#s.has_nvmlSystemGetNVMLVersion === null) return "";
    return await this.#string("system", "NVML", (b, n) => this.#s.nvmlSystemGetNVMLVersion!(b, n));
  }

  async deviceCount(): Promise<number> {
    const out = new Uint32Array(1);
    await this.#check("system", "count GPUs", () => this.#s.nvmlDeviceGetCount_v2(out));
    return out[0]!;
  }

  async handleByIndex(index: number): Promise<bigint> {
    const out = new BigUint64Array(1);
    await this.#check(
      "system",
      `get handle of GPU ${index}`,
      () => this.#s.nvmlDeviceGetHandleByIndex_v2(index, out),
    );
    return out[0]!;
  }

  /**
   * Looks a GPU up by UUID; null when the library lacks `nvmlDeviceGetHandleByUUID`.
   *
   * @param uuid The UUID.
   * @param scope The handle the caller knows the GPU by, so that a hung lookup marks that GPU.
   */
  async handleByUuid(uuid: string, scope: CallScope = "system"): Promise<bigint | null> {
    if (this.#s.has_nvmlDeviceGetHandleByUUID === null) return null;
    const out = new BigUint64Array(1);
    const name = encoder.encode(`${uuid}\0`);
    await this.#check(
      scope,
      `get handle of GPU ${uuid}`,
      () => this.#s.nvmlDeviceGetHandleByUUID!(name, out),
    );
    return out[0]!;
  }

  uuid(dev: bigint): Promise<string> {
    return this.#string(dev, "GPU UUID", (b, n) => this.#s.nvmlDeviceGetUUID(dev, b, n));
  }

  name(dev: bigint): Promise<string> {
    return this.#string(dev, "GPU name", (b, n) => this.#s.nvmlDeviceGetName(dev, b, n));
  }

  /** Returns "" where the board has no serial (NOT_SUPPORTED). */
  async serial(dev: bigint): Promise<string> {
    try {
      return await this.#string(dev, "serial", (b, n) => this.#s.nvmlDeviceGetSerial(dev, b, n));
    } catch (err) {
      if (err instanceof NvmlError && err.code === NvmlReturn.NOT_SUPPORTED) return "";
      throw err;
    }
  }

  /** PCI bus id as `%08X:%02X:%02X.0`; "" when the library has no PCI info call. */
  async pciBusId(dev: bigint): Promise<string> {
    const info = new Uint8Array(PCI_INFO_BYTES);
    const v3 = this.#s.has_nvmlDeviceGetPciInfo_v3 !== null;
    if (!v3 && this.#s.has_nvmlDeviceGetPciInfo_v2 === null) return "";
    await this.#check(
      dev,
      "get PCI info",
      () =>
        v3
          ? this.#s.nvmlDeviceGetPciInfo_v3!(dev, info)
          : this.#s.nvmlDeviceGetPciInfo_v2!(dev, info),
    );
    return pciBusIdOf(info, v3 ? "v3" : "v2");
  }

  index(dev: bigint): Promise<number> {
    return this.#u32(dev, "get GPU index", (out) => this.#s.nvmlDeviceGetIndex(dev, out));
  }

  minorNumber(dev: bigint): Promise<number> {
    return this.#u32(dev, "get minor number", (out) => this.#s.nvmlDeviceGetMinorNumber(dev, out));
  }

  async memoryTotalBytes(dev: bigint): Promise<number> {
    const mem = new BigUint64Array(3);
    await this.#check(dev, "get memory info", () => this.#s.nvmlDeviceGetMemoryInfo(dev, mem));
    return Number(mem[0]!);
  }

  /** Returns null when the library lacks the call; errorType 0 corrected, 1 uncorrected. */
  async totalEccErrors(dev: bigint, errorType: 0 | 1, counter: 0 | 1): Promise<bigint | null> {
    if (!this.capabilities.eccCounts) return null;
    const out = new BigUint64Array(1);
    await this.#check(
      dev,
      "get ECC error count",
      () => this.#s.nvmlDeviceGetTotalEccErrors!(dev, errorType, counter, out),
    );
    return out[0]!;
  }

  /** Returns null when the library lacks `nvmlDeviceGetRemappedRows`. */
  async remappedRows(dev: bigint): Promise<NvmlRemappedRows | null> {
    if (!this.capabilities.remappedRows) return null;
    const v = new Uint32Array(4);
    await this.#check(
      dev,
      "get remapped rows",
      () =>
        this.#s.nvmlDeviceGetRemappedRows!(
          dev,
          v.subarray(0, 1),
          v.subarray(1, 2),
          v.subarray(2, 3),
          v.subarray(3, 4),
        ),
    );
    return { correctable: v[0]!, uncorrectable: v[1]!, pending: v[2] !== 0, failure: v[3] !== 0 };
  }

  /** Whether pages wait for retirement (next reset); null when the library lacks the call. */
  async retiredPagesPending(dev: bigint): Promise<boolean | null> {
    if (!this.capabilities.retiredPagesPending) return null;
    const state = await this.#u32(
      dev,
      "get retired pages pending status",
      (out) => this.#s.nvmlDeviceGetRetiredPagesPendingStatus!(dev, out),
    );
    return state !== 0;
  }

  /**
   * Number of retired pages by cause (0 multiple single-bit errors, 1 double-bit error); null
   * when the library lacks the call.
   */
  async retiredPageCount(dev: bigint, cause: 0 | 1): Promise<number | null> {
    if (!this.capabilities.retiredPages) return null;
    const count = new Uint32Array(1); // 0: ask for the count only
    const addresses = new BigUint64Array(1);
    const code = await this.#gate.run(
      dev,
      "get retired pages",
      () => this.#s.nvmlDeviceGetRetiredPages!(dev, cause, count, addresses),
    );
    if (code !== NvmlReturn.INSUFFICIENT_SIZE) checkNvml(code, "get retired pages");
    return count[0]!;
  }

  /** Current clock event (throttle) reason bits; null when the library has neither call. */
  async clockEventReasons(dev: bigint): Promise<bigint | null> {
    const which = this.capabilities.clockEventReasons;
    if (which === null) return null;
    const out = new BigUint64Array(1);
    await this.#check(
      dev,
      "get clock event reasons",
      () =>
        which === "events"
          ? this.#s.nvmlDeviceGetCurrentClocksEventReasons!(dev, out)
          : this.#s.nvmlDeviceGetCurrentClocksThrottleReasons!(dev, out),
    );
    return out[0]!;
  }

  /** GPU core temperature in °C; null when the library lacks the call. */
  async temperature(dev: bigint): Promise<number | null> {
    if (!this.capabilities.temperature) return null;
    return await this.#u32(
      dev,
      "get temperature",
      (out) => this.#s.nvmlDeviceGetTemperature!(dev, 0, out),
    );
  }

  /** A temperature threshold in °C (0 shutdown, 1 slowdown); null when the library lacks it. */
  async temperatureThreshold(dev: bigint, type: 0 | 1): Promise<number | null> {
    if (!this.capabilities.temperatureThreshold) return null;
    return await this.#u32(
      dev,
      "get temperature threshold",
      (out) => this.#s.nvmlDeviceGetTemperatureThreshold!(dev, type, out),
    );
  }

  async supportedEventTypes(dev: bigint): Promise<bigint> {
    const out = new BigUint64Array(1);
    await this.#check(
      dev,
      "get supported event types",
      () => this.#s.nvmlDeviceGetSupportedEventTypes(dev, out),
    );
    return out[0]!;
  }

  async registerEvents(dev: bigint, mask: bigint, set: bigint): Promise<void> {
    await this.#check(
      dev,
      "register events",
      () => this.#s.nvmlDeviceRegisterEvents(dev, mask, set),
    );
  }

  async eventSetCreate(): Promise<bigint> {
    const out = new BigUint64Array(1);
    await this.#check("system", "create event set", () => this.#s.nvmlEventSetCreate(out));
    return out[0]!;
  }

  async eventSetFree(set: bigint): Promise<void> {
    await this.#check("system", "free event set", () => this.#s.nvmlEventSetFree(set));
  }

  /**
   * Waits for one event; bounded by `timeoutMs` inside NVML, so not limited by the gate.
   *
   * @returns The event, or null on TIMEOUT.
   * @throws {NvmlError} On any other failure, e.g. `NVML_ERROR_GPU_IS_LOST`.
   */
  async waitEvent(set: bigint, timeoutMs: number): Promise<NvmlEventData | null> {
    const fn = this.#wait;
    if (fn === null) throw new NvmlError("wait for events", NvmlReturn.FUNCTION_NOT_FOUND);
    if (this.#waiting) throw new Error("Cannot wait for NVML events: a wait is already in flight");
    const data = new Uint8Array(EVENT_DATA_BYTES);
    resetEventData(data);
    this.#waiting = true;
    let code: number;
    try {
      code = await this.#gate.run("system", "wait", () => fn(set, data, timeoutMs), false);
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
   * @throws {Error} While a call is in flight: unloading then crashes the process.
   */
  close(): void {
    if (this.#gate.inflight > 0) {
      throw new Error(`Cannot close NVML library: ${this.#gate.inflight} call(s) in flight`);
    }
    this.#lib.close();
  }

  async #check(
    scope: CallScope,
    action: string,
    invoke: () => Promise<number>,
    limited = true,
  ): Promise<void> {
    checkNvml(await this.#gate.run(scope, action, invoke, limited), action);
  }

  async #u32(
    scope: CallScope,
    action: string,
    call: (out: Uint32Array) => Promise<number>,
  ): Promise<number> {
    const out = new Uint32Array(1);
    await this.#check(scope, action, () => call(out));
    return out[0]!;
  }

  async #string(
    scope: CallScope,
    what: string,
    call: (buf: Uint8Array, len: number) => Promise<number>,
  ): Promise<string> {
    const buf = new Uint8Array(STRING_BYTES);
    await this.#check(scope, `get ${what} string`, () => call(buf, STRING_BYTES));
    return cString(buf);
  }
}
