/**
 * A stand-in for systemd's notification socket: a bound Unix datagram socket that records every
 * message it receives. Needs `--unstable-net` (or `"unstable": ["net"]` in deno.json).
 *
 * @module
 */

/** One received datagram. */
export interface Received {
  /** The datagram's text, such as "READY=1\nMAINPID=42\nSTATUS=Serving". */
  text: string;
  /** Its `KEY=value` lines as a map. */
  fields: Map<string, string>;
  /** What {@linkcode FakeNotifySocketOptions.onMessage} returned when it arrived. */
  observed: unknown;
}

/** Options of {@linkcode FakeNotifySocket.open}. */
export interface FakeNotifySocketOptions {
  /** Runs as soon as a datagram arrives, before the next one is read (to sample state). */
  onMessage?: (text: string) => unknown | Promise<unknown>;
}

/** A fake `$NOTIFY_SOCKET` in a temporary directory. */
export class FakeNotifySocket implements AsyncDisposable {
  readonly dir: string;
  readonly path: string;
  readonly messages: Received[] = [];
  readonly #conn: Deno.DatagramConn;
  readonly #onMessage: FakeNotifySocketOptions["onMessage"];
  readonly #waiters = new Set<() => void>();
  readonly #loop: Promise<void>;

  private constructor(dir: string, options: FakeNotifySocketOptions) {
    this.dir = dir;
    this.path = `${dir}/notify.sock`;
    this.#onMessage = options.onMessage;
    this.#conn = Deno.listenDatagram({ transport: "unixpacket", path: this.path });
    this.#loop = this.#receive();
  }

  /** Binds a new fake socket in a fresh temporary directory. */
  static async open(options: FakeNotifySocketOptions = {}): Promise<FakeNotifySocket> {
    if (typeof Deno.listenDatagram !== "function") {
      throw new TypeError(
        "Cannot run the systemd notify tests: Deno.listenDatagram is unavailable; " +
          'run deno test with --unstable-net (or add "unstable": ["net"] to deno.json)',
      );
    }
    const dir = await Deno.makeTempDir({ prefix: "das-notify-test-" });
    try {
      return new FakeNotifySocket(dir, options);
    } catch (err) {
      await Deno.remove(dir, { recursive: true });
      throw err;
    }
  }

  /** Texts received so far. */
  get texts(): string[] {
    return this.messages.map((m) => m.text);
  }

  /** Waits until `count` received messages match, failing after `timeoutMs`. */
  async waitFor(
    match: (m: Received) => boolean,
    count = 1,
    timeoutMs = 15_000,
  ): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = this.messages.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${count} matching notify messages; got ${
            JSON.stringify(this.texts)
          }`,
        );
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

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    await this.#loop;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  async #receive(): Promise<void> {
    const decoder = new TextDecoder();
    while (true) {
      let data: Uint8Array;
      try {
        [data] = await this.#conn.receive();
      } catch {
        return; // closed
      }
      const text = decoder.decode(data);
      const observed = await this.#onMessage?.(text);
      this.messages.push({ text, fields: parseFields(text), observed });
      for (const wake of this.#waiters) wake();
    }
  }
}

function parseFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}
