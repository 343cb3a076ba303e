/**
 * Where finished log lines go.
 *
 * @module
 */

/** Receives one finished line without its trailing newline; injectable so tests see exact lines. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();

/**
 * Writes the line and a newline to stderr synchronously, so lines are never reordered or
 * lost when the process exits right after logging.
 *
 * Loops over partial writes. A failing stderr (closed pipe) is ignored: logging must never
 * take the process down.
 *
 * @param line The line to write.
 */
export function stderrSink(line: string): void {
  const bytes = encoder.encode(line + "\n");
  try {
    for (let offset = 0; offset < bytes.length;) {
      const written = Deno.stderr.writeSync(bytes.subarray(offset));
      if (written <= 0) return;
      offset += written;
    }
  } catch {
    // stderr is gone; there is nowhere left to report that.
  }
}
