/**
 * The resource-version high-water mark: versions never go backwards, across
 * restarts, whatever the wall clock does.
 *
 * Versions start from the clock (microseconds since the epoch), so a server
 * without state still moves forward across ordinary restarts; with a state
 * directory they start from max(clock, mark + 1). The mark is a
 * reservation: it is written, durably, ahead of the versions in use (by
 * {@linkcode VERSION_RESERVATION}) before the server serves, and extended in
 * the background long before the versions reach it, so a write never waits
 * for the disk and a crash at any moment leaves a mark above every version
 * any client has seen.
 *
 * @module
 */
import { join } from "node:path";
import { readFileIfExists, writeFileAtomic } from "./atomic_file.ts";

/** File name of the mark in the state directory. */
export const VERSION_MARK_FILE = "version-mark.json";

/** How far ahead of the versions in use the mark is reserved (about 16.7 million writes). */
export const VERSION_RESERVATION = 2 ** 24;

/** Format of the mark file this build writes and reads. */
const MARK_FORMAT = 1;

/** The clock-based lower bound of versions: the wall clock in microseconds. */
export function clockVersion(nowMs: number = Date.now()): number {
  return Math.floor(nowMs) * 1000;
}

/** The first version to use: above the clock and above everything reserved before. */
export function seedVersion(clockUs: number, mark: number): number {
  return Math.max(clockUs, mark + 1);
}

/** Parses the mark file; returns the mark or the reason it cannot be used. */
export function parseVersionMark(bytes: Uint8Array): { mark: number } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { problem: "not valid JSON" };
  }
  const { format, mark } = (value ?? {}) as { format?: unknown; mark?: unknown };
  if (typeof format !== "number" || format > MARK_FORMAT) {
    return {
      problem: `unsupported format ${JSON.stringify(format)} (this build reads ${MARK_FORMAT})`,
    };
  }
  if (typeof mark !== "number" || !Number.isSafeInteger(mark) || mark < 0) {
    return { problem: `invalid mark ${JSON.stringify(mark)}` };
  }
  return { mark };
}

/** The persisted high-water mark of one state directory. */
export class VersionMark {
  readonly #dir: string;
  #mark: number;
  #writing: Promise<void> = Promise.resolve();
  #pending = false;
  #onError: (err: unknown) => void;

  /** A mark in `dir` starting at `mark` (0 when none was persisted). */
  constructor(dir: string, mark: number, onError: (err: unknown) => void) {
    this.#dir = dir;
    this.#mark = mark;
    this.#onError = onError;
  }

  /**
   * Reads the mark of `dir`; a missing file is mark 0, an unusable one is
   * reported in `problem` (the caller moves it aside) and counts as 0.
   */
  static async read(dir: string): Promise<{ mark: number; problem?: string }> {
    const bytes = await readFileIfExists(join(dir, VERSION_MARK_FILE));
    if (bytes === null) return { mark: 0 };
    const parsed = parseVersionMark(bytes);
    return "mark" in parsed ? parsed : { mark: 0, problem: parsed.problem };
  }

  /** The mark: every version used so far, in this run and before, is at most this. */
  get value(): number {
    return this.#mark;
  }

  /** Reserves versions up to `version` + {@linkcode VERSION_RESERVATION}, durably, before it resolves. */
  async reserve(version: number): Promise<void> {
    const mark = version + VERSION_RESERVATION;
    if (mark <= this.#mark) return;
    this.#mark = mark;
    const body = JSON.stringify({ format: MARK_FORMAT, mark }) + "\n";
    this.#writing = this.#writing.then(() =>
      writeFileAtomic(this.#dir, VERSION_MARK_FILE, [new TextEncoder().encode(body)]).then(() => {})
    );
    await this.#writing;
  }

  /**
   * Notes a committed version; once half of the reservation is used, the
   * next one is written in the background (never on the write's path).
   */
  observe(version: number): void {
    if (this.#pending || version <= this.#mark - VERSION_RESERVATION / 2) return;
    this.#pending = true;
    this.reserve(version).catch(this.#onError).finally(() => (this.#pending = false));
  }

  /** Resolves once every reservation started so far is on disk. */
  flushed(): Promise<void> {
    return this.#writing.catch(() => {});
  }
}
