/**
 * The recommended actions the NVML provider writes to `status.recommended_action`, and how they
 * merge with what other providers wrote. Pure: no I/O.
 *
 * The words are the "resolution buckets" of NVIDIA's XID catalog (immediate action), plus
 * `CHECK_MECHANICALS` (cooling, power and seating), which the catalog uses for hardware
 * slowdowns too.
 *
 * @module
 */

/** Known actions, least severe first. */
export const RECOMMENDED_ACTIONS = [
  "RESTART_APP",
  "CHECK_MECHANICALS",
  "RESET_GPU",
  "RESTART_BM",
  "CONTACT_SUPPORT",
] as const;

/** One known recommended action. */
export type RecommendedAction = (typeof RECOMMENDED_ACTIONS)[number];

/**
 * Severity of an action: 0 for none (""), 1.. for the known actions in order, and above every
 * known action for a word we do not know (another provider's: keep it, to be safe).
 *
 * @param action A `recommended_action` value.
 */
export function actionSeverity(action: string): number {
  if (action === "") return 0;
  const index = (RECOMMENDED_ACTIONS as readonly string[]).indexOf(action);
  return index === -1 ? RECOMMENDED_ACTIONS.length + 1 : index + 1;
}

/**
 * The most severe of some actions; "" when there are none.
 *
 * @param actions Actions of a GPU's active problems ("" entries are ignored).
 */
export function mostSevere(actions: Iterable<string>): string {
  let best = "";
  for (const a of actions) if (actionSeverity(a) > actionSeverity(best)) best = a;
  return best;
}

/**
 * The merge rule for `recommended_action`: the NVML provider's own action (`mine`) replaces
 * what the GPU shows (`current`) unless another provider set something more severe there. An
 * action that is not the one NVML wrote last (`lastWritten`) is another provider's.
 *
 * @param current What the GPU shows now.
 * @param mine The most severe action among the NVML provider's active problems ("" for none).
 * @param lastWritten What the NVML provider wrote last ("" for nothing).
 * @returns The value to write, or undefined to leave the GPU as it is.
 * @example Usage
 * ```ts
 * import { mergeAction } from "./actions.ts";
 * console.log(mergeAction("", "RESET_GPU", "")); // "RESET_GPU"
 * console.log(mergeAction("CONTACT_SUPPORT", "RESET_GPU", "")); // undefined: keep the other's
 * console.log(mergeAction("RESET_GPU", "", "RESET_GPU")); // "": NVML's problem cleared
 * ```
 */
export function mergeAction(
  current: string,
  mine: string,
  lastWritten: string,
): string | undefined {
  const foreign = current !== "" && current !== lastWritten;
  if (foreign && actionSeverity(current) >= actionSeverity(mine)) return undefined;
  return current === mine ? undefined : mine;
}
