/**
 * NVML return codes as a typed error, with names and texts of our own: under a path-scoped
 * `--allow-ffi` the pointer that `nvmlErrorString` returns cannot be read.
 *
 * @module
 */

/** NVML return codes the provider branches on. */
export const NvmlReturn = {
  SUCCESS: 0,
  UNINITIALIZED: 1,
  INVALID_ARGUMENT: 2,
  NOT_SUPPORTED: 3,
  NO_PERMISSION: 4,
  NOT_FOUND: 6,
  INSUFFICIENT_SIZE: 7,
  DRIVER_NOT_LOADED: 9,
  TIMEOUT: 10,
  LIBRARY_NOT_FOUND: 12,
  FUNCTION_NOT_FOUND: 13,
  GPU_IS_LOST: 15,
  UNKNOWN: 999,
} as const;

// Names follow nvml.h (`NVML_ERROR_<name>`); texts paraphrase its comments.
const CODES: ReadonlyMap<number, readonly [string, string]> = new Map([
  [0, ["SUCCESS", "Success"]],
  [1, ["UNINITIALIZED", "NVML was not initialized"]],
  [2, ["INVALID_ARGUMENT", "Invalid argument"]],
  [3, ["NOT_SUPPORTED", "Not supported by this device"]],
  [4, ["NO_PERMISSION", "Insufficient permissions"]],
  [5, ["ALREADY_INITIALIZED", "Already initialized"]],
  [6, ["NOT_FOUND", "Not found"]],
  [7, ["INSUFFICIENT_SIZE", "Buffer too small"]],
  [8, ["INSUFFICIENT_POWER", "Insufficient external power"]],
  [9, ["DRIVER_NOT_LOADED", "NVIDIA driver is not loaded"]],
  [10, ["TIMEOUT", "Timeout"]],
  [11, ["IRQ_ISSUE", "Interrupt request issue"]],
  [12, ["LIBRARY_NOT_FOUND", "NVML shared library not found"]],
  [13, ["FUNCTION_NOT_FOUND", "Function not found in the NVML library"]],
  [14, ["CORRUPTED_INFOROM", "Corrupted infoROM"]],
  [15, ["GPU_IS_LOST", "GPU is lost"]],
  [16, ["RESET_REQUIRED", "GPU requires a reset"]],
  [17, ["OPERATING_SYSTEM", "GPU control device blocked by the operating system"]],
  [18, ["LIB_RM_VERSION_MISMATCH", "NVML library and driver versions do not match"]],
  [19, ["IN_USE", "GPU is in use"]],
  [20, ["MEMORY", "Insufficient memory"]],
  [21, ["NO_DATA", "No data"]],
  [22, ["VGPU_ECC_NOT_SUPPORTED", "vGPU operation not available while ECC is enabled"]],
  [23, ["INSUFFICIENT_RESOURCES", "Insufficient resources"]],
  [24, ["FREQ_NOT_SUPPORTED", "Frequency not supported"]],
  [25, ["ARGUMENT_VERSION_MISMATCH", "Argument version mismatch"]],
  [26, ["DEPRECATED", "Deprecated"]],
  [27, ["NOT_READY", "Not ready"]],
  [28, ["GPU_NOT_FOUND", "No GPUs were found"]],
  [29, ["INVALID_STATE", "Invalid state"]],
  [30, ["RESET_TYPE_NOT_SUPPORTED", "Reset type not supported"]],
  [999, ["UNKNOWN", "Unknown driver error"]],
]);

/**
 * Symbolic name of an NVML return code, so logs read `NVML_ERROR_GPU_IS_LOST` not `15`.
 *
 * @param code An `nvmlReturn_t` value.
 * @returns `NVML_SUCCESS`, `NVML_ERROR_<NAME>`, or `NVML_ERROR_<code>` for unknown codes.
 */
export function nvmlErrorName(code: number): string {
  if (code === 0) return "NVML_SUCCESS";
  const entry = CODES.get(code);
  return `NVML_ERROR_${entry ? entry[0] : code}`;
}

/**
 * Human text of an NVML return code, from our own table.
 *
 * @param code An `nvmlReturn_t` value.
 * @returns A short description.
 */
export function nvmlErrorText(code: number): string {
  return CODES.get(code)?.[1] ?? `Unknown NVML return code ${code}`;
}

/** A failed NVML call; callers branch on `code` (see {@linkcode NvmlReturn}). */
export class NvmlError extends Error {
  /** The `nvmlReturn_t` value. */
  readonly code: number;

  /**
   * @param action What was attempted, e.g. "get UUID of GPU 0" (the message reads "Cannot <action>").
   * @param code The `nvmlReturn_t` the call returned.
   */
  constructor(action: string, code: number) {
    super(`Cannot ${action}: ${nvmlErrorText(code)} (${nvmlErrorName(code)})`);
    this.code = code;
    this.name = nvmlErrorName(code);
  }
}

/**
 * Throws unless an NVML call succeeded, so bindings read as straight-line code.
 *
 * @param code The `nvmlReturn_t` a call returned.
 * @param action What was attempted, for the message.
 * @throws {NvmlError} When `code` is not `NVML_SUCCESS`.
 */
export function checkNvml(code: number, action: string): void {
  if (code !== NvmlReturn.SUCCESS) throw new NvmlError(action, code);
}

/**
 * An NVML call that did not answer within the per-call limit. The native call goes on in its
 * thread; the GPU it was about is reported `Unknown` until NVML answers again.
 */
export class NvmlCallTimeout extends NvmlError {
  /** The limit that passed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * @param action What was attempted, e.g. "get remapped rows".
   * @param timeoutMs The per-call limit that passed.
   * @param detail Why no call was even started, when an earlier one is still in flight.
   */
  constructor(action: string, timeoutMs: number, detail = "") {
    super(action, NvmlReturn.TIMEOUT);
    this.timeoutMs = timeoutMs;
    this.name = "NvmlCallTimeout";
    this.message = `Cannot ${action}: NVML did not answer within ${timeoutMs}ms` +
      (detail === "" ? "" : ` (${detail})`);
  }
}
