/**
 * Creates an NVML event set and registers each GPU's health events on it.
 *
 * @module
 */

import type { NvmlGpu } from "./_enumerate.ts";
import type { NvmlLibrary } from "./_library.ts";
import { eventTypeNames, HEALTH_EVENT_MASK } from "./health_policy.ts";
import type { NvmlLogger } from "./logger.ts";

/** What registration achieved for one GPU. */
export interface GpuRegistration {
  /** Names of the registered event types; empty when unmonitored. */
  monitored: string[];
  /** Why events are not monitored, or undefined when they are. */
  unmonitoredWhy: string | undefined;
}

/** An event set (undefined when none could be made) and one result per GPU, in order. */
export interface Registration {
  set: bigint | undefined;
  gpus: GpuRegistration[];
}

async function registerOne(
  nvml: NvmlLibrary,
  gpu: NvmlGpu,
  set: bigint,
  logger: NvmlLogger,
): Promise<GpuRegistration> {
  try {
    const mask = (await nvml.supportedEventTypes(gpu.handle)) & HEALTH_EVENT_MASK;
    if (mask === 0n) {
      return { monitored: [], unmonitoredWhy: "the GPU supports none of the health event types" };
    }
    // NOT_SUPPORTED here leaves the set usable for the other GPUs.
    await nvml.registerEvents(gpu.handle, mask, set);
    const monitored = eventTypeNames(mask);
    logger.V(2).info("Registered NVML events", "gpu", gpu.name, "events", monitored);
    return { monitored, unmonitoredWhy: undefined };
  } catch (err) {
    const why = (err as Error).message;
    logger.info("Cannot register NVML events; GPU stays unmonitored", "gpu", gpu.name, "err", why);
    return { monitored: [], unmonitoredWhy: why };
  }
}

/**
 * Registers XID and ECC events, masked by what each GPU supports. Never throws: a GPU whose
 * events cannot be registered comes back unmonitored, with the cause.
 */
export async function registerHealthEvents(
  nvml: NvmlLibrary,
  gpus: readonly NvmlGpu[],
  logger: NvmlLogger,
): Promise<Registration> {
  let why = "the NVML library has no nvmlEventSetWait call";
  if (nvml.canWaitForEvents) {
    try {
      const set = await nvml.eventSetCreate();
      const registered = [];
      for (const gpu of gpus) registered.push(await registerOne(nvml, gpu, set, logger));
      return { set, gpus: registered };
    } catch (err) {
      why = (err as Error).message;
      logger.error(err, "Cannot create NVML event set; GPUs stay unmonitored");
    }
  }
  return { set: undefined, gpus: gpus.map(() => ({ monitored: [], unmonitoredWhy: why })) };
}
