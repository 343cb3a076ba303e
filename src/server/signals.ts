/**
 * SIGTERM/SIGINT handling: the first signal starts a graceful stop, a second
 * one forces it.
 *
 * A signal that arrives within {@linkcode DUPLICATE_WINDOW_MS} of the first
 * is taken as the same request delivered twice (a terminal signals the whole
 * process group, and a launcher such as `deno task start` forwards it too),
 * not as an operator asking to force the stop.
 *
 * @module
 */

/** Repeats closer than this to the first signal are duplicates. */
export const DUPLICATE_WINDOW_MS = 250;

/** Callbacks of {@linkcode onShutdownSignals}. */
export interface ShutdownHandlers {
  /** First SIGTERM or SIGINT. */
  graceful: (signal: Deno.Signal) => void;
  /** Any later SIGTERM or SIGINT. */
  force: (signal: Deno.Signal) => void;
}

/**
 * Installs the handlers.
 *
 * @returns a function that removes them again
 */
export function onShutdownSignals(
  handlers: ShutdownHandlers,
  now: () => number = Date.now,
): () => void {
  let first: number | undefined;
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  const listeners = signals.map((signal) => {
    const listener = () => {
      if (first === undefined) {
        first = now();
        handlers.graceful(signal);
      } else if (now() - first >= DUPLICATE_WINDOW_MS) {
        handlers.force(signal);
      }
    };
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  };
}
