/**
 * Reads the identity of every GPU NVML reports.
 *
 * @module
 */

import type { NvmlLibrary } from "./_library.ts";
import type { NvmlLogger } from "./logger.ts";
import type { GpuSpec } from "../api/mod.ts";

/** One enumerated GPU. */
export interface NvmlGpu {
  /** Object name: the NVML UUID lower-cased, e.g. "gpu-3f2504e0-…". */
  name: string;
  /** The `nvmlDevice_t`. */
  handle: bigint;
  spec: GpuSpec;
}

/**
 * Object name of a GPU: its UUID lower-cased, stable across reboots and reordering.
 *
 * @param uuid The UUID as NVML reports it.
 */
export function gpuObjectName(uuid: string): string {
  return uuid.toLowerCase();
}

/**
 * Reads one GPU's identity.
 *
 * @throws {NvmlError} When NVML cannot answer for the GPU.
 */
export async function readGpu(nvml: NvmlLibrary, handle: bigint): Promise<NvmlGpu> {
  const uuid = await nvml.uuid(handle);
  return {
    name: gpuObjectName(uuid),
    handle,
    spec: {
      uuid,
      productName: await nvml.name(handle),
      pciBusId: await nvml.pciBusId(handle),
      index: await nvml.index(handle),
      minorNumber: await nvml.minorNumber(handle),
      memoryTotalBytes: await nvml.memoryTotalBytes(handle),
      serial: await nvml.serial(handle),
    },
  };
}

/**
 * Enumerates GPUs; a GPU NVML cannot describe is logged and left out.
 *
 * @throws {NvmlError} When NVML cannot count the GPUs.
 */
export async function enumerateGpus(nvml: NvmlLibrary, logger: NvmlLogger): Promise<NvmlGpu[]> {
  const gpus: NvmlGpu[] = [];
  const count = await nvml.deviceCount();
  for (let index = 0; index < count; index++) {
    try {
      gpus.push(await readGpu(nvml, await nvml.handleByIndex(index)));
    } catch (err) {
      logger.error(err, "Cannot read GPU identity, leaving it out", "index", index);
    }
  }
  return gpus;
}
