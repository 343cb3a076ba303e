/**
 * XIDs by NVIDIA's XID catalog: each code's mnemonic and immediate action ("resolution bucket").
 * Pure data, no I/O.
 *
 * Derived from NVIDIA's "Xid Catalog" for Ampere and newer GPUs
 * (https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html), column "Resolution
 * Bucket (Immediate Action)". This is our own selection and wording: the codes a data-center
 * fleet actually sees. Mnemonics are the catalog's (and the driver's `nverror.h`).
 *
 * How each row was checked (2026-12-03), in the comment after it:
 * - `[catalog]`: read on NVIDIA's catalog page itself (only its first rows, 1–13, were
 *   available to us).
 * - `[secondary]`: not read on the catalog page; two copies of the catalog agree on it: NVIDIA's
 *   own NVSentinel mapping (`xiderrorsmapping.csv`) and a public transcription of the catalog's
 *   rows. Treat these as unconfirmed against the page until someone reads it there.
 *
 * Buckets that are not one of our actions: `IGNORE` is `""` here (no action, only logged);
 * the catalog's workflows (`WORKFLOW_XID_45`, `WORKFLOW_XID_48`, `WORKFLOW_NVLINK_ERR`) have no
 * single bucket, and each row says which action we chose. Codes not listed are unknown and get
 * the conservative {@linkcode UNKNOWN_XID_ACTION}.
 *
 * @module
 */

import type { RecommendedAction } from "./actions.ts";

/** One catalog entry. */
export interface XidCatalogEntry {
  /** NVIDIA's mnemonic, e.g. "ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS". */
  readonly mnemonic: string;
  /** Immediate action; "" for informational XIDs. */
  readonly action: RecommendedAction | "";
}

/** The catalog version the table derives from, for logs and docs. */
export const XID_CATALOG_VERSION = "NVIDIA Xid Catalog (Ampere and newer), checked 2026-12-03";

/** Action of an XID the catalog does not list: a GPU reset clears most faults. */
export const UNKNOWN_XID_ACTION: RecommendedAction = "RESET_GPU";

const RESTART_APP = "RESTART_APP";
const RESET_GPU = "RESET_GPU";
/** The catalog's `IGNORE`: logged only. */
const IGNORE = "";

/** XID → catalog entry. */
export const XID_CATALOG: ReadonlyMap<number, XidCatalogEntry> = new Map<number, XidCatalogEntry>([
  // [catalog]
  [8, { mnemonic: "ROBUST_CHANNEL_FIFO_ERROR_IDLE_TIMEOUT", action: RESTART_APP }],
  // [catalog]
  [11, { mnemonic: "ROBUST_CHANNEL_GR_ERROR_MISSING_HW", action: RESTART_APP }],
  // [catalog] The catalog names both aliases: ROBUST_CHANNEL_GR_ERROR_SW_NOTIFY is the other.
  [13, { mnemonic: "ROBUST_CHANNEL_GR_EXCEPTION", action: RESTART_APP }],
  // [secondary]
  [31, { mnemonic: "ROBUST_CHANNEL_FIFO_ERROR_MMU_ERR_FLT", action: RESTART_APP }],
  // [secondary]
  [32, { mnemonic: "ROBUST_CHANNEL_PBDMA_ERROR", action: RESTART_APP }],
  // [secondary] IGNORE.
  [43, { mnemonic: "ROBUST_CHANNEL_RESETCHANNEL_VERIF_ERROR", action: IGNORE }],
  // [secondary] WORKFLOW_XID_45: with other XIDs, those decide; alone, restart the fabric
  // manager. Our choice: logged only.
  [45, { mnemonic: "ROBUST_CHANNEL_PREEMPTIVE_REMOVAL", action: IGNORE }],
  // [secondary] WORKFLOW_XID_48 (uncorrectable ECC error). Our choice: reset the GPU.
  [48, { mnemonic: "ROBUST_CHANNEL_GPU_ECC_DBE", action: RESET_GPU }],
  // [secondary]
  [54, { mnemonic: "SILENT_RUNNING_PWR_REDUCED_CLOCKING", action: "CHECK_MECHANICALS" }],
  // [secondary] Unused on Ampere and newer; the catalog's unused codes say CONTACT_SUPPORT.
  [61, { mnemonic: "PMU_BREAKPOINT", action: "CONTACT_SUPPORT" }],
  // [secondary]
  [62, { mnemonic: "PMU_HALT_ERROR", action: RESET_GPU }],
  // [secondary] IGNORE: a row remap was recorded; the pending remap is polled separately.
  [63, { mnemonic: "INFOROM_DRAM_RETIREMENT_EVENT", action: IGNORE }],
  // [secondary]
  [64, { mnemonic: "INFOROM_DRAM_RETIREMENT_FAILURE", action: RESET_GPU }],
  // [secondary]
  [68, { mnemonic: "ROBUST_CHANNEL_NVDEC0_ERROR", action: RESTART_APP }],
  // [secondary]
  [69, { mnemonic: "ROBUST_CHANNEL_GR_CLASS_ERROR", action: RESTART_APP }],
  // [secondary] WORKFLOW_NVLINK_ERR (decided by the error's registers). Our choice: reset the GPU.
  [74, { mnemonic: "NVLINK_ERROR", action: RESET_GPU }],
  // [secondary]
  [79, { mnemonic: "ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS", action: "RESTART_BM" }],
  // [secondary] IGNORE.
  [92, { mnemonic: "EXCESSIVE_SBE_INTERRUPTS", action: IGNORE }],
  // [secondary]
  [94, { mnemonic: "ROBUST_CHANNEL_CONTAINED_ERROR", action: RESTART_APP }],
  // [secondary]
  [95, { mnemonic: "ROBUST_CHANNEL_UNCONTAINED_ERROR", action: RESET_GPU }],
  // [secondary]
  [109, { mnemonic: "ROBUST_CHANNEL_CTXSW_TIMEOUT_ERROR", action: RESET_GPU }],
  // [secondary]
  [119, { mnemonic: "GSP_RPC_TIMEOUT", action: RESET_GPU }],
  // [secondary]
  [120, { mnemonic: "GSP_ERROR", action: RESET_GPU }],
  // [secondary] IGNORE.
  [121, { mnemonic: "C2C_ERROR", action: IGNORE }],
  // [secondary]
  [140, { mnemonic: "UNRECOVERABLE_ECC_ERROR_ESCAPE", action: RESET_GPU }],
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
