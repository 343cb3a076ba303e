/**
 * Metrics of the state directory: what was restored, how long it took, why
 * a checkpoint could not be used, and how checkpoint writes go.
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { CheckpointProblem } from "./checkpoint_format.ts";

/** The handles the persistence feeds. */
export interface StateMetrics {
  loadFailed(reason: CheckpointProblem): void;
  restored(gpus: number, events: number, seconds: number): void;
  written(bytes: number, seconds: number): void;
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
  writes.inc(0);
  writeFailures.inc(0);
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
    },
    writeFailed: () => writeFailures.inc(),
  };
}
