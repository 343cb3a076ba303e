/**
 * The crafted bad-input corpus: every case is a raw request for one
 * GpuService method with the exact status it must get. Built against the
 * seed state of {@linkcode SEED}; no case may change that state.
 *
 * @module
 */
import type { status } from "@grpc/grpc-js";
import type { UnaryMethod } from "./_raw_client.ts";

/** A method of the GpuService. */
export type Method = UnaryMethod | "WatchGpus";

/** One crafted request and the status it must get. */
export interface Case {
  name: string;
  method: Method;
  payload: Uint8Array;
  code: status;
  /** Must match the status details. */
  details?: RegExp;
  /** A well-formed request whose response bytes the OK response must equal. */
  sameAs?: Uint8Array;
}

/** GPUs the server holds while the corpus runs (namespace, name, uuid). */
export const SEED = [
  { namespace: "default", name: "gpu-0", uuid: "GPU-0" },
  { namespace: "default", name: "gpu-1", uuid: "GPU-1" },
  { namespace: "default", name: "gpu-10", uuid: "GPU-10" },
  { namespace: "other", name: "gpu-0", uuid: "GPU-other-0" },
] as const;

/** Labels, annotations and status of the seed's default/gpu-0. */
export const GPU0 = {
  labels: { zone: "a" },
  annotations: { note: "seed" },
  conditions: [{ type: "Ready", status: "True", reason: "Healthy", message: "ok" }],
};

/** The server flags the corpus expects. */
export const SERVER_ARGS = ["--max-message-bytes=65536", "--max-object-bytes=16384"];
/** The server's --max-message-bytes in {@linkcode SERVER_ARGS}. */
export const MAX_MESSAGE = 65536;
