/**
 * Call-site lookup from the JS stack, for klog's `file:line`.
 *
 * @module
 */

/** URL prefix of this folder: stack frames under it belong to the logger, not its caller. */
const LOGGING_DIR = new URL("./", import.meta.url).href;

/** What klog prints when the caller cannot be found. */
export const UNKNOWN_CALLER = "???:1";

/** Frames to capture: enough to get past the logger's own few frames. */
const STACK_DEPTH = 16;

/** `at fn (url:line:col)` or `at url:line:col`, as V8 writes frames. */
const FRAME = /([^\s(]+):(\d+):\d+\)?$/;

/** The `file:line` of the first stack frame outside src/logging, captured now. */
export function captureCaller(): string {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_DEPTH;
  const stack = new Error().stack;
  Error.stackTraceLimit = saved;
  return callerFromStack(stack, LOGGING_DIR);
}

/** Picks `basename:line` of the first frame not under `skipPrefix` from a V8 stack string. */
export function callerFromStack(stack: string | undefined, skipPrefix: string): string {
  if (stack === undefined) return UNKNOWN_CALLER;
  for (const frame of stack.split("\n").slice(1)) {
    const match = FRAME.exec(frame.trim());
    if (match === null) continue;
    const [, location = "", line = "1"] = match;
    if (location.startsWith(skipPrefix)) continue;
    return `${basename(location)}:${line}`;
  }
  return UNKNOWN_CALLER;
}

function basename(location: string): string {
  const path = location.replace(/[?#].*$/, "");
  const base = path.slice(path.lastIndexOf("/") + 1);
  try {
    return decodeURIComponent(base);
  } catch {
    return base;
  }
}
