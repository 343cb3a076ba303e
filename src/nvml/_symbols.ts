/**
 * The NVML symbols the provider binds through `Deno.dlopen`.
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
 * - `nvmlDeviceGetRemappedRows` (R460+, Ampere+): else not reported.
 * - `nvmlDeviceGetTotalEccErrors`, `nvmlDeviceGetHandleByUUID`, `nvmlSystemGetNVMLVersion`:
 *   diagnostics and recovery probing only.
 *
 * @module
 */

const S = "buffer" as const;
const H = "usize" as const;
const R = "i32" as const;

/** Symbol table for `Deno.dlopen(path, NVML_SYMBOLS)`. */
export const NVML_SYMBOLS = {
  nvmlInit_v2: { parameters: [], result: R },
  nvmlShutdown: { parameters: [], result: R },
  nvmlSystemGetDriverVersion: { parameters: [S, "u32"], result: R },
  nvmlSystemGetNVMLVersion: { parameters: [S, "u32"], result: R, optional: true },
  nvmlDeviceGetCount_v2: { parameters: [S], result: R },
  nvmlDeviceGetHandleByIndex_v2: { parameters: ["u32", S], result: R },
  nvmlDeviceGetHandleByUUID: { parameters: [S, S], result: R, optional: true },
  nvmlDeviceGetUUID: { parameters: [H, S, "u32"], result: R },
  nvmlDeviceGetName: { parameters: [H, S, "u32"], result: R },
  nvmlDeviceGetSerial: { parameters: [H, S, "u32"], result: R },
  nvmlDeviceGetPciInfo_v3: { parameters: [H, S], result: R, optional: true },
  nvmlDeviceGetPciInfo_v2: { parameters: [H, S], result: R, optional: true },
  nvmlDeviceGetIndex: { parameters: [H, S], result: R },
  nvmlDeviceGetMinorNumber: { parameters: [H, S], result: R },
  nvmlDeviceGetMemoryInfo: { parameters: [H, S], result: R },
  nvmlDeviceGetTotalEccErrors: { parameters: [H, "i32", "i32", S], result: R, optional: true },
  nvmlDeviceGetRemappedRows: { parameters: [H, S, S, S, S], result: R, optional: true },
  nvmlDeviceGetSupportedEventTypes: { parameters: [H, S], result: R },
  nvmlDeviceRegisterEvents: { parameters: [H, "u64", H], result: R },
  nvmlEventSetCreate: { parameters: [S], result: R },
  nvmlEventSetFree: { parameters: [H], result: R },
  // Nonblocking: the wait runs on another thread and returns a Promise, so timers keep firing.
  nvmlEventSetWait_v2: {
    parameters: [H, S, "u32"],
    result: R,
    nonblocking: true,
    optional: true,
  },
  nvmlEventSetWait: { parameters: [H, S, "u32"], result: R, nonblocking: true, optional: true },
  // Deno 2.9: a missing optional nonblocking symbol is not null but a function that throws
  // TypeError when called. These synchronous twins are never called: null says "missing".
  hasEventSetWait_v2: {
    name: "nvmlEventSetWait_v2",
    parameters: [H, S, "u32"],
    result: R,
    optional: true,
  },
  hasEventSetWait: {
    name: "nvmlEventSetWait",
    parameters: [H, S, "u32"],
    result: R,
    optional: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded library as `Deno.dlopen` types it. */
export type NvmlDynamicLibrary = Deno.DynamicLibrary<typeof NVML_SYMBOLS>;
