/**
 * The logger shape the NVML provider needs: a structural subset of the klog logger, so this
 * folder does not depend on `src/logging/`.
 *
 * @module
 */

/** A klog-style structured logger: a message, then key/value pairs. */
export interface NvmlLogger {
  info(msg: string, ...kv: unknown[]): void;
  error(err: unknown, msg: string, ...kv: unknown[]): void;
  V(level: number): { info(msg: string, ...kv: unknown[]): void };
}
