/**
 * Plain TypeScript shapes of the wire contract's messages, as protobufjs
 * converts them (camelCase fields, int64 as number, Timestamp as seconds and
 * nanos). Every stored object is normalized to exactly this shape so that a
 * fresh encoding of it is byte-for-byte reproducible.
 *
 * @module
 */

/** A google.protobuf.Timestamp. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

/** Metadata every stored object carries. */
export interface ObjectMeta {
  name: string;
  resourceVersion: string;
  namespace: string;
  uid: string;
  generation: number;
  creationTimestamp: Timestamp | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Identity of a GPU; everything but uuid is optional hardware identity. */
export interface GpuSpec {
  uuid: string;
  productName: string;
  pciBusId: string;
  index: number;
  minorNumber: number;
  memoryTotalBytes: number;
  serial: string;
}

/** One aspect of a GPU's health, Kubernetes style. */
export interface Condition {
  type: string;
  status: string;
  lastTransitionTime: Timestamp | null;
  reason: string;
  message: string;
  observedGeneration: number;
  owner: string;
}

/** The observed health of a GPU. */
export interface GpuStatus {
  conditions: Condition[];
  recommendedAction: string;
}

/** One GPU of the node. */
export interface Gpu {
  metadata: ObjectMeta;
  spec: GpuSpec;
  status: GpuStatus;
  resourceVersion: number;
}

/** Options of ListGpus and WatchGpus. */
export interface ListOptions {
  resourceVersion: string;
  namespace: string;
  allowWatchBookmarks: boolean;
  labelSelector: string;
}

/** Event types of WatchGpus. */
export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

/** Recursively optional input shape: what a client may send. */
export type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[]
  : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> | null }
  : T;
