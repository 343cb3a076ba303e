/**
 * The NVML symbols the provider binds through `Deno.dlopen`.
 *
 * Every function is `nonblocking`: it runs on a thread of Deno's blocking pool and returns a
 * Promise, so no NVML call, however slow (a GPU falling off the bus can make each query take
 * seconds), ever runs on the event loop.
 *
 * Handles (`nvmlDevice_t`, `nvmlEventSet_t`) are `"usize"`: out-handles come back through a
 * `BigUint64Array(1)` passed as `"buffer"`, because `Deno.UnsafePointer*` is denied under a
 * path-scoped `--allow-ffi`.
 *
 * Required symbols exist in every driver we support (R418-era NVML 10 and later). Symbols marked
 * `optional` are newer (or older and possibly dropped) and have a fallback:
 * - `nvmlEventSetWait_v2` (R450+): else `nvmlEventSetWait`; with neither, events are unmonitored.
 * - `nvmlDeviceGetPciInfo_v3` (R418+): else `nvmlDeviceGetPciInfo_v2`, with the bus id formatted
 *   from domain/bus/device; with neither, the bus id is empty.
 * - `nvmlDeviceGetRemappedRows` (R460+, Ampere+), `nvmlDeviceGetRetiredPagesPendingStatus`,
 *   `nvmlDeviceGetRetiredPages`, `nvmlDeviceGetCurrentClocksEventReasons` (R535+; else
 *   `nvmlDeviceGetCurrentClocksThrottleReasons`), `nvmlDeviceGetTemperature` and
 *   `nvmlDeviceGetTemperatureThreshold`: polled signals; a missing one is not polled.
 * - `nvmlDeviceGetTotalEccErrors`, `nvmlDeviceGetHandleByUUID`, `nvmlSystemGetNVMLVersion`:
 *   diagnostics, polling and recovery probing.
 *
 * Deno 2.9: a missing optional nonblocking symbol is not null but a function whose Promise
 * rejects. Each optional symbol therefore has a synchronous twin (`has_…`), never called, whose
 * null says "missing".
 *
 * @module
 */

const S = "buffer" as const;
const H = "usize" as const;
const R = "i32" as const;

function call<const P extends readonly Deno.NativeType[]>(parameters: P) {
  return { parameters, result: R, nonblocking: true } as const;
}

function optional<const P extends readonly Deno.NativeType[]>(parameters: P) {
  return { parameters, result: R, nonblocking: true, optional: true } as const;
}

function presence<const N extends string, const P extends readonly Deno.NativeType[]>(
  name: N,
  parameters: P,
) {
  return { name, parameters, result: R, optional: true } as const;
}

const STRING = [S, "u32"] as const;
const DEV_STRING = [H, S, "u32"] as const;
const DEV_OUT = [H, S] as const;
const WAIT = [H, S, "u32"] as const;
const ECC = [H, "i32", "i32", S] as const;
const REMAP = [H, S, S, S, S] as const;
const PAGES = [H, "i32", S, S] as const;
const DEV_ARG_OUT = [H, "i32", S] as const;

/** Symbol table for `Deno.dlopen(path, NVML_SYMBOLS)`. */
export const NVML_SYMBOLS = {
  nvmlInit_v2: call([]),
  nvmlShutdown: call([]),
  nvmlSystemGetDriverVersion: call(STRING),
  nvmlSystemGetNVMLVersion: optional(STRING),
  nvmlDeviceGetCount_v2: call([S]),
  nvmlDeviceGetHandleByIndex_v2: call(["u32", S]),
  nvmlDeviceGetHandleByUUID: optional([S, S]),
  nvmlDeviceGetUUID: call(DEV_STRING),
  nvmlDeviceGetName: call(DEV_STRING),
  nvmlDeviceGetSerial: call(DEV_STRING),
  nvmlDeviceGetPciInfo_v3: optional(DEV_OUT),
  nvmlDeviceGetPciInfo_v2: optional(DEV_OUT),
  nvmlDeviceGetIndex: call(DEV_OUT),
  nvmlDeviceGetMinorNumber: call(DEV_OUT),
  nvmlDeviceGetMemoryInfo: call(DEV_OUT),
  nvmlDeviceGetTotalEccErrors: optional(ECC),
  nvmlDeviceGetRemappedRows: optional(REMAP),
  nvmlDeviceGetRetiredPagesPendingStatus: optional(DEV_OUT),
  nvmlDeviceGetRetiredPages: optional(PAGES),
  nvmlDeviceGetCurrentClocksEventReasons: optional(DEV_OUT),
  nvmlDeviceGetCurrentClocksThrottleReasons: optional(DEV_OUT),
  nvmlDeviceGetTemperature: optional(DEV_ARG_OUT),
  nvmlDeviceGetTemperatureThreshold: optional(DEV_ARG_OUT),
  nvmlDeviceGetSupportedEventTypes: call(DEV_OUT),
  nvmlDeviceRegisterEvents: call([H, "u64", H]),
  nvmlEventSetCreate: call([S]),
  nvmlEventSetFree: call([H]),
  nvmlEventSetWait_v2: optional(WAIT),
  nvmlEventSetWait: optional(WAIT),
  has_nvmlSystemGetNVMLVersion: presence("nvmlSystemGetNVMLVersion", STRING),
  has_nvmlDeviceGetHandleByUUID: presence("nvmlDeviceGetHandleByUUID", [S, S]),
  has_nvmlDeviceGetPciInfo_v3: presence("nvmlDeviceGetPciInfo_v3", DEV_OUT),
  has_nvmlDeviceGetPciInfo_v2: presence("nvmlDeviceGetPciInfo_v2", DEV_OUT),
  has_nvmlDeviceGetTotalEccErrors: presence("nvmlDeviceGetTotalEccErrors", ECC),
  has_nvmlDeviceGetRemappedRows: presence("nvmlDeviceGetRemappedRows", REMAP),
  has_nvmlDeviceGetRetiredPagesPendingStatus: presence(
    "nvmlDeviceGetRetiredPagesPendingStatus",
    DEV_OUT,
  ),
  has_nvmlDeviceGetRetiredPages: presence("nvmlDeviceGetRetiredPages", PAGES),
  has_nvmlDeviceGetCurrentClocksEventReasons: presence(
    "nvmlDeviceGetCurrentClocksEventReasons",
    DEV_OUT,
  ),
  has_nvmlDeviceGetCurrentClocksThrottleReasons: presence(
    "nvmlDeviceGetCurrentClocksThrottleReasons",
    DEV_OUT,
  ),
  has_nvmlDeviceGetTemperature: presence("nvmlDeviceGetTemperature", DEV_ARG_OUT),
  has_nvmlDeviceGetTemperatureThreshold: presence(
    "nvmlDeviceGetTemperatureThreshold",
    DEV_ARG_OUT,
  ),
  has_nvmlEventSetWait_v2: presence("nvmlEventSetWait_v2", WAIT),
  has_nvmlEventSetWait: presence("nvmlEventSetWait", WAIT),
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded library as `Deno.dlopen` types it. */
export type NvmlDynamicLibrary = Deno.DynamicLibrary<typeof NVML_SYMBOLS>;
