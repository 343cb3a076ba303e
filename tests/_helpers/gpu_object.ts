/**
 * A complete stored Gpu object (every field set, defaults where not given),
 * for tests that build events, checkpoints or printed output directly
 * instead of going through the store.
 *
 * @module
 */
import type { Gpu, GpuSpec, GpuStatus, ObjectMeta } from "../../src/api/mod.ts";

/** What a test sets on a {@linkcode gpuObject}; everything else takes its default. */
export interface GpuObjectFields {
  metadata?: Partial<ObjectMeta>;
  spec?: Partial<GpuSpec>;
  status?: Partial<GpuStatus>;
}

/** A Gpu named `name` at resource version `version`, in namespace "default". */
export function gpuObject(name: string, version: number, fields: GpuObjectFields = {}): Gpu {
  return {
    metadata: {
      name,
      resourceVersion: String(version),
      namespace: "default",
      uid: `uid-${name}`,
      generation: 1,
      creationTimestamp: null,
      labels: {},
      annotations: {},
      ...fields.metadata,
    },
    spec: {
      uuid: `GPU-${name}`,
      productName: "",
      pciBusId: "",
      index: 0,
      minorNumber: 0,
      memoryTotalBytes: 0,
      serial: "",
      ...fields.spec,
    },
    status: { conditions: [], recommendedAction: "", ...fields.status },
    resourceVersion: version,
  };
}
