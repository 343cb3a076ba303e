/**
 * Helpers of the state tests: a valid stored Gpu object, the state
 * directory's files, and waiting for what the server writes there.
 *
 * @module
 */
import type { Gpu } from "../../src/api/mod.ts";
import {
  type CheckpointEvent,
  decodeCheckpoint,
  decodeJournal,
  JOURNAL_HEADER_BYTES,
} from "../../src/state/mod.ts";
import { gpuObject } from "../_helpers/gpu_object.ts";
import { exists } from "../_helpers/server_process.ts";
import { type PollOptions, until } from "../_helpers/poll.ts";

/** A history event as the state files carry it: ADDED, or MODIFIED from `previous` labels. */
export function checkpointEvent(
  version: number,
  bytes = 40,
  labels: Record<string, string> = { a: "1" },
  previous: Record<string, string> | null = null,
): CheckpointEvent {
  return {
    resourceVersion: version,
    type: previous ? "MODIFIED" : "ADDED",
    labels,
    previousLabels: previous,
    gpuBytes: new Uint8Array(bytes).fill(version & 0xff),
  };
}

/** A stored Gpu as the server keeps it, at resource version `rv`. */
export function storedGpu(name: string, rv: number, labels: Record<string, string> = {}): Gpu {
  return gpuObject(name, rv, { metadata: { creationTimestamp: { seconds: 1, nanos: 0 }, labels } });
}

/** The state directory of a test server started in `dir`. */
export const stateDir = (dir: string): string => `${dir}/state`;

/** How long a state test waits for the disk: up to 30 seconds, as a loaded CI machine is slow. */
export const DISK_WAIT: PollOptions = { timeoutMs: 30_000 };

/** Waits for the first checkpoint of a start and its new journal. */
export async function initialCheckpoint(dir: string): Promise<Uint8Array> {
  await until("the first checkpoint", () => exists(`${stateDir(dir)}/journal.bin`), DISK_WAIT);
  return await Deno.readFile(`${stateDir(dir)}/checkpoint.bin`);
}

/** Waits until the journal holds at least one record more than `records` bytes in (liveness only). */
export async function journalGrew(dir: string, beyond = JOURNAL_HEADER_BYTES): Promise<number> {
  return await until("a journal append", async () => {
    const { size } = await Deno.stat(`${stateDir(dir)}/journal.bin`);
    return size > beyond && size;
  }, DISK_WAIT);
}

/**
 * Waits until the journal's records cover every write up to `version`, so
 * that a write made after it lands in a later record.
 */
export async function journalHolds(dir: string, version: number | string): Promise<void> {
  await until(`a journal record up to version ${version}`, async () => {
    const bytes = await Deno.readFile(`${stateDir(dir)}/journal.bin`);
    if (bytes.length <= JOURNAL_HEADER_BYTES) return false;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    // The header names the checkpoint it extends: its CRC at byte 12, its version at 16.
    const base = { crc: view.getUint32(12, true), version: Number(view.getBigUint64(16, true)) };
    const journal = decodeJournal(bytes, base);
    if (journal.stale) return false;
    const last = journal.records.at(-1);
    return last !== undefined && last.meta.version >= Number(version);
  }, DISK_WAIT);
}

/** Offsets where the journal's records end (after the header). */
export function recordEnds(journal: Uint8Array): number[] {
  const view = new DataView(journal.buffer, journal.byteOffset, journal.length);
  const ends: number[] = [];
  for (let at = JOURNAL_HEADER_BYTES; at + 8 <= journal.length;) {
    at += 8 + view.getUint32(at, true);
    ends.push(at);
  }
  return ends;
}

/** Files in the state directory whose names start with `prefix`. */
export function filesStartingWith(dir: string, prefix: string): string[] {
  return [...Deno.readDirSync(stateDir(dir))].map((e) => e.name).filter((n) =>
    n.startsWith(prefix)
  );
}

/** Waits until the state directory holds every write up to `version` (checkpoint or journal). */
export async function durable(dir: string, version: number): Promise<void> {
  await until(`version ${version} on disk`, async () => {
    try {
      const checkpoint = decodeCheckpoint(await Deno.readFile(`${stateDir(dir)}/checkpoint.bin`));
      if (checkpoint.meta.version >= version) return true;
      const base = { version: checkpoint.meta.version, crc: checkpoint.crc };
      const journal = decodeJournal(await Deno.readFile(`${stateDir(dir)}/journal.bin`), base);
      return !journal.stale && journal.records.some((r) => r.meta.version >= version);
    } catch {
      return false; // between a checkpoint and its journal: look again
    }
  }, DISK_WAIT);
}
