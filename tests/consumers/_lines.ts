/**
 * Reads a child process's output line by line, for tests that wait for what an example prints.
 *
 * @module
 */

/** Lines of a stream, as they come. */
export class Lines {
  readonly all: string[] = [];
  #waiters = new Set<() => void>();
  #ended = false;
  constructor(stream: ReadableStream<Uint8Array>) {
    (async () => {
      let rest = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        rest += chunk;
        let i;
        while ((i = rest.indexOf("\n")) >= 0) {
          this.all.push(rest.slice(0, i));
          rest = rest.slice(i + 1);
        }
        for (const w of this.#waiters) w();
      }
    })().catch(() => {}).finally(() => {
      this.#ended = true; // the writer exited: no line comes any more
      for (const w of this.#waiters) w();
    });
  }
  /**
   * Waits for a line matching `re` after index `from`; returns its index. The bound is for
   * liveness only: a child process starts slowly on a loaded 2-core machine.
   */
  async waitFor(re: RegExp, from = 0, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const i = this.all.findIndex((l, n) => n >= from && re.test(l));
      if (i >= 0) return i;
      if (this.#ended) {
        throw new Error(
          `no line matching ${re} after ${from} before the end; output:\n${this.all.join("\n")}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(`no line matching ${re} after ${from}; output:\n${this.all.join("\n")}`);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, 200);
        this.#waiters.add(done);
      });
    }
  }
}
