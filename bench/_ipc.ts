/**
 * Newline-delimited JSON over a pipe: how the benchmark driver and its
 * worker processes talk (commands down stdin, replies up stdout).
 *
 * @module
 */

/** One JSON message. */
export type Message = Record<string, unknown>;

/** Reads JSON lines from a byte stream, one message per `next()`. */
export class LineReader {
  readonly #lines: AsyncIterator<string>;

  /** Wraps a byte stream. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#lines = splitLines(stream.pipeThrough(new TextDecoderStream()))[Symbol.asyncIterator]();
  }

  /** The next message (`{raw}` for a line that is not JSON), or null at the end. */
  async next(): Promise<Message | null> {
    const r = await this.#lines.next();
    if (r.done) return null;
    try {
      return JSON.parse(r.value) as Message;
    } catch {
      return { raw: r.value }; // e.g. a runtime warning on the same stream
    }
  }
}

/** Writes JSON lines to a byte sink, in order. */
export class LineWriter {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();

  /** Wraps a byte sink. */
  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  /** Sends one message. */
  async send(message: Message): Promise<void> {
    await this.#writer.write(this.#encoder.encode(JSON.stringify(message) + "\n"));
  }

  /** Closes the sink. */
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }
}

async function* splitLines(text: ReadableStream<string>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of text) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim()) yield line;
    }
  }
  if (buffer.trim()) yield buffer;
}
