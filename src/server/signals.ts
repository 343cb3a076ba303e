/**
 * SIGTERM/SIGINT handling: the first signal starts a graceful stop, a second
 * one forces it.
 *
 * @module
 */

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
export function onShutdownSignals(handlers: ShutdownHandlers): () => void {
  let received = 0;
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  const listeners = signals.map((signal) => {
    const listener = () => (received++ === 0 ? handlers.graceful(signal) : handlers.force(signal));
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  };
}
