/**
 * Metrics of the state directory: what was restored, how long it took, why
 * a checkpoint or a journal could not be used, and how checkpoint writes
 * and journal appends go.
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { JOURNAL_HEADER_BYTES } from "./journal_format.ts";
import type { CheckpointProblem } from "./record_codec.ts";

/** Why a journal was not (entirely) used at start: a checkpoint problem, a torn last record, or another checkpoint's journal. */
export type JournalProblem = CheckpointProblem | "torn_tail" | "stale";

/** The handles the persistence feeds. */
export interface StateMetrics {
  loadFailed(reason: CheckpointProblem): void;
  journalLoadFailed(reason: JournalProblem): void;
  restored(gpus: number, events: number, seconds: number): void;
  written(bytes: number, seconds: number): void;
  appended(bytes: number, seconds: number, journalBytes: number): void;
  /** One fdatasync of the journal's appended records. */
  synced(): void;
  writeFailed(): void;
}

/** Registers the checkpoint metrics on `registry` (documented in docs/operations.md). */
export function createStateMetrics(registry: Registry): StateMetrics {
  const registers = [registry];
  const loadFailures = new Counter({
    name: "device_api_server_checkpoint_load_failures_total",
    help: "Checkpoints that could not be used at start (moved aside; the server started empty), " +
      "by reason.",
    labelNames: ["reason"],
    registers,
  });
  const gpus = new Gauge({
    name: "device_api_server_checkpoint_restored_gpus",
    help: "GPUs restored from the checkpoint at start.",
    registers,
  });
  const events = new Gauge({
    name: "device_api_server_checkpoint_restored_events",
    help: "Watch history events restored from the checkpoint at start.",
    registers,
  });
  const restoreSeconds = new Gauge({
    name: "device_api_server_checkpoint_restore_seconds",
    help: "How long reading and restoring the checkpoint took at start.",
    registers,
  });
  const writes = new Counter({
    name: "device_api_server_checkpoint_writes_total",
    help: "Checkpoints written to the state directory.",
    registers,
  });
  const writeFailures = new Counter({
    name: "device_api_server_checkpoint_write_failures_total",
    help: "Checkpoint writes that failed (the previous checkpoint stays in place).",
    registers,
  });
  const bytes = new Gauge({
    name: "device_api_server_checkpoint_bytes",
    help: "Size of the last checkpoint written.",
    registers,
  });
  const writeSeconds = new Histogram({
    name: "device_api_server_checkpoint_write_seconds",
    help: "Time to write one checkpoint (encode, write, fsync, rename), off the request path.",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });
  const journalLoadFailures = new Counter({
    name: "device_api_server_journal_load_failures_total",
    help: "Journals not entirely used at start, by reason: torn_tail (a record cut off by a " +
      "crash; what precedes it was used), stale (left from an older checkpoint; ignored), or a " +
      "checkpoint reason (moved aside; the checkpoint alone was used).",
    labelNames: ["reason"],
    registers,
  });
  const appends = new Counter({
    name: "device_api_server_journal_appends_total",
    help: "Records appended to the journal (the changes of one coalescing interval each).",
    registers,
  });
  const syncs = new Counter({
    name: "device_api_server_journal_syncs_total",
    help: "Flushes of the journal to the disk (fdatasync), at most one per second while " +
      "records are appended.",
    registers,
  });
  const appendedBytes = new Counter({
    name: "device_api_server_journal_appended_bytes_total",
    help: "Bytes appended to the journal.",
    registers,
  });
  const journalBytes = new Gauge({
    name: "device_api_server_journal_bytes",
    help: "Size of the journal; a checkpoint starts a new one when it outgrows its bound.",
    registers,
  });
  const appendSeconds = new Histogram({
    name: "device_api_server_journal_append_seconds",
    help: "Time to append one journal record (capture, encode, write, and the fdatasync when " +
      "one is due), off the request path.",
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers,
  });
  writes.inc(0);
  writeFailures.inc(0);
  appends.inc(0);
  syncs.inc(0);
  return {
    loadFailed: (reason) => loadFailures.inc({ reason }),
    restored: (g, e, s) => {
      gpus.set(g);
      events.set(e);
      restoreSeconds.set(s);
    },
    written: (b, s) => {
      writes.inc();
      bytes.set(b);
      writeSeconds.observe(s);
      journalBytes.set(JOURNAL_HEADER_BYTES); // a checkpoint starts a new journal
    },
    appended: (b, s, size) => {
      appends.inc();
      appendedBytes.inc(b);
      journalBytes.set(size);
      appendSeconds.observe(s);
    },
    synced: () => syncs.inc(),
    journalLoadFailed: (reason) => journalLoadFailures.inc({ reason }),
    writeFailed: () => writeFailures.inc(),
  };
}
