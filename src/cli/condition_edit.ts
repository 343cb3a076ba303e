/**
 * The read-modify-write of one condition (`set condition`, `clear condition`): the edit itself
 * is pure, and the write retries on a version conflict so that a provider writing at the same
 * time never loses its update.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { Condition, DeepPartial, Gpu } from "../api/mod.ts";
import type { DeviceApiClient } from "../client/mod.ts";
import { getGpu, notFoundMessage } from "./context.ts";
import { CliError, hasCode } from "./errors.ts";

/** The fields of a condition an operator sets. */
export interface ConditionChange {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/**
 * Replaces (in place) or appends one condition; the others are kept exactly as read.
 *
 * @param conditions the conditions read
 * @param change the condition to set
 * @param generation the GPU's metadata.generation, recorded as observedGeneration
 * @returns the new list, or undefined when the condition already says exactly this
 */
export function withCondition(
  conditions: readonly Condition[],
  change: ConditionChange,
  generation: number,
): Condition[] | undefined {
  const old = conditions.find((c) => c.type === change.type);
  if (
    old && old.status === change.status && old.reason === change.reason &&
    old.message === change.message
  ) return undefined;
  const next: Condition = {
    type: change.type,
    status: change.status,
    reason: change.reason,
    message: change.message,
    // The server stamps the transition time when the status changes and keeps it otherwise.
    lastTransitionTime: old?.status === change.status ? old.lastTransitionTime : null,
    observedGeneration: generation,
    owner: "", // the server records the --provider of this write
  };
  return old ? conditions.map((c) => (c.type === change.type ? next : c)) : [...conditions, next];
}

/**
 * Removes one condition.
 *
 * @returns the new list, or undefined when there is no condition of that type
 */
export function withoutCondition(
  conditions: readonly Condition[],
  type: string,
): Condition[] | undefined {
  return conditions.some((c) => c.type === type)
    ? conditions.filter((c) => c.type !== type)
    : undefined;
}

/** The client calls {@linkcode editConditions} makes. */
export type StatusClient = Pick<DeviceApiClient, "get" | "updateStatus">;

/** Writes attempted before {@linkcode editConditions} gives up on a GPU that keeps changing. */
export const MAX_ATTEMPTS = 5;

/**
 * Reads a GPU, applies edit to its conditions and writes the status back on the version read;
 * on ABORTED (another write came first) it reads again and retries.
 *
 * @param client the client
 * @param target the GPU's name (`gpu`) and namespace
 * @param edit returns the new conditions, or undefined for "nothing to change"
 * @returns the GPU written (or read, when unchanged) and whether it changed
 * @throws {CliError} when the GPU does not exist or kept changing for MAX_ATTEMPTS writes
 */
export async function editConditions(
  client: StatusClient,
  target: { readonly gpu: string; readonly namespace: string },
  edit: (conditions: readonly Condition[], gpu: Gpu) => Condition[] | undefined,
): Promise<{ gpu: Gpu; changed: boolean }> {
  for (let attempt = 1;; attempt++) {
    const { gpu: name, namespace } = target;
    const current = await getGpu(client, name, namespace);
    const conditions = edit(current.status?.conditions ?? [], current);
    if (conditions === undefined) return { gpu: current, changed: false };
    const next: DeepPartial<Gpu["status"]> = {
      conditions,
      recommendedAction: current.status?.recommendedAction ?? "",
    };
    try {
      const gpu = await client.updateStatus(name, next, current.resourceVersion, namespace);
      return { gpu, changed: true };
    } catch (err) {
      // Deleted between the read and the write.
      if (hasCode(err, status.NOT_FOUND)) throw new CliError(notFoundMessage(name, namespace));
      if (!hasCode(err, status.ABORTED)) throw err;
      if (attempt >= MAX_ATTEMPTS) {
        throw new CliError(
          `cannot write the status of gpu ${JSON.stringify(name)}: it changed during each of ` +
            `${MAX_ATTEMPTS} attempts; try again`,
        );
      }
    }
  }
}
