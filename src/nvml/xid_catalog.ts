/**
 * XIDs by NVIDIA's XID catalog: each code's mnemonic and immediate action ("resolution bucket").
 * Pure data, no I/O.
 *
 * Derived from NVIDIA's "Xid Catalog" for Ampere and newer GPUs
 * (https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html, the catalog as published
 * for the R570–R580 drivers), column "Resolution Bucket (Immediate Action)". This is our own
 * selection and wording: the codes a data-center fleet actually sees. The catalog's
 * `IGNORE`-style entries are `""` here (no action, only logged). Codes not listed are unknown
 * and get the conservative {@linkcode UNKNOWN_XID_ACTION}.
 *
 * @module
 */

import type { RecommendedAction } from "./actions.ts";

/** One catalog entry. */
export interface XidCatalogEntry {
  /** NVIDIA's mnemonic, e.g. "GPU_HAS_FALLEN_OFF_THE_BUS". */
  readonly mnemonic: string;
  /** Immediate action; "" for informational XIDs. */
  readonly action: RecommendedAction | "";
}

/** The catalog version the table derives from, for logs and docs. */
export const XID_CATALOG_VERSION = "NVIDIA Xid Catalog (Ampere+), R570–R580 drivers";

/** Action of an XID the catalog does not list: a GPU reset clears most faults. */
export const UNKNOWN_XID_ACTION: RecommendedAction = "RESET_GPU";

const RESTART_APP = "RESTART_APP";
const RESET_GPU = "RESET_GPU";

/** XID → catalog entry. */
export const XID_CATALOG: ReadonlyMap<number, XidCatalogEntry> = new Map<number, XidCatalogEntry>([
  [8, { mnemonic: "ROBUST_CHANNEL_FIFO_ERROR_IDLE_TIMEOUT", action: RESTART_APP }],
  [11, { mnemonic: "ROBUST_CHANNEL_GR_ERROR_MISSING_HW", action: RESTART_APP }],
  [13, { mnemonic: "ROBUST_CHANNEL_GR_EXCEPTION", action: RESTART_APP }],
  [31, { mnemonic: "ROBUST_CHANNEL_FIFO_ERROR_MMU_ERR_FLT", action: RESTART_APP }],
  [32, { mnemonic: "ROBUST_CHANNEL_PBDMA_ERROR", action: RESTART_APP }],
  [43, { mnemonic: "ROBUST_CHANNEL_RESETCHANNEL_VERIF_ERROR", action: RESTART_APP }],
  [45, { mnemonic: "ROBUST_CHANNEL_PREEMPTIVE_REMOVAL", action: RESTART_APP }],
  [48, { mnemonic: "DBE (double-bit ECC error)", action: RESET_GPU }],
  [54, { mnemonic: "AUXILIARY_POWER_NOT_CONNECTED", action: "CHECK_MECHANICALS" }],
  [61, { mnemonic: "PMU_BREAKPOINT", action: RESET_GPU }],
  [62, { mnemonic: "PMU_HALT_ERROR", action: RESET_GPU }],
  [63, { mnemonic: "ECC_PAGE_RETIREMENT_OR_ROW_REMAPPER_RECORDING_EVENT", action: RESET_GPU }],
  [64, { mnemonic: "ECC_PAGE_RETIREMENT_OR_ROW_REMAPPER_FAILURE", action: "CONTACT_SUPPORT" }],
  [68, { mnemonic: "NVDEC0_EXCEPTION", action: RESTART_APP }],
  [69, { mnemonic: "GR_CLASS_ERROR", action: RESTART_APP }],
  [74, { mnemonic: "NVLINK_ERROR", action: RESET_GPU }],
  [79, { mnemonic: "GPU_HAS_FALLEN_OFF_THE_BUS", action: "RESTART_BM" }],
  [92, { mnemonic: "EXCESSIVE_SBE_INTERRUPTS", action: "" }],
  [94, { mnemonic: "CONTAINED_ERROR", action: RESTART_APP }],
  [95, { mnemonic: "UNCONTAINED_ERROR", action: RESET_GPU }],
  [109, { mnemonic: "CTXSW_TIMEOUT", action: RESTART_APP }],
  [119, { mnemonic: "GSP_RPC_TIMEOUT", action: RESET_GPU }],
  [120, { mnemonic: "GSP_ERROR", action: RESET_GPU }],
  [121, { mnemonic: "C2C_ERROR", action: RESET_GPU }],
  [140, { mnemonic: "UNRECOVERED_ECC_ERROR", action: RESET_GPU }],
]);

/** Label value of XIDs outside the catalog, so the metric's label set stays bounded. */
export const OTHER_XID_LABEL = "other";

/**
 * The metric label of an XID: its code when the catalog lists it, else "other".
 *
 * @param xid The XID from the event.
 */
export function xidLabel(xid: number): string {
  return XID_CATALOG.has(xid) ? String(xid) : OTHER_XID_LABEL;
}
