/**
 * Metrics of the built-in NVML provider: its state, the XIDs and polled signals it saw, and the
 * GPUs per recommended action (computed from the store at scrape, like the cache gauges).
 *
 * @module
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { StoredGpu } from "../cache/mod.ts";
import {
  NVML_STATES,
  type NvmlState,
  OTHER_XID_LABEL,
  RECOMMENDED_ACTIONS,
  SIGNAL_NAMES,
  XID_CATALOG,
} from "../nvml/mod.ts";

const NVML_UP = "device_api_server_nvml_up";
const NVML_STATE = "device_api_server_nvml_state";
const XID_EVENTS = "device_api_server_nvml_xid_events_total";
const SIGNAL_DETECTIONS = "device_api_server_nvml_signal_detections_total";
const GPUS_BY_ACTION = "device_api_server_gpus_by_recommended_action";

/** Label value of GPUs with no recommended action. */
export const NO_ACTION = "none";
/** Label value of recommended actions outside the known set (written by other providers). */
export const OTHER_ACTION = "other";

/** What the action gauge reads from the store at scrape time; a GpuStore is one. */
export interface ActionView {
  snapshot(): readonly Pick<StoredGpu, "gpu">[];
}

/** Hooks the NVML provider feeds; label values arrive bounded (catalog XIDs or "other"). */
export interface NvmlHooks {
  /** The provider changed state. */
  onState(state: NvmlState): void;
  /** An XID event was seen; `xid` is a catalog code or "other". */
  onXid(xid: string): void;
  /** A polled signal was newly detected on a GPU. */
  onSignal(signal: string): void;
}

/** Registers the NVML metrics on a registry. */
export class NvmlCollectors {
  /** Hooks for the provider; usable before {@linkcode NvmlCollectors.bind}. */
  readonly hooks: NvmlHooks;
  #store: ActionView | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const up = new Gauge({
      name: NVML_UP,
      help: "1 while the built-in NVML provider is running and reading the driver, else 0.",
      registers,
    });
    const state = new Gauge({
      name: NVML_STATE,
      help: "1 for the NVML provider's current state " +
        "(disabled, not_found, starting, running, failed), 0 for the others.",
      labelNames: ["state"],
      registers,
    });
    const xids = new Counter({
      name: XID_EVENTS,
      help: 'XID events the NVML provider received, by XID (catalog codes, else "other").',
      labelNames: ["xid"],
      registers,
    });
    const signals = new Counter({
      name: SIGNAL_DETECTIONS,
      help: "Polled GPU signals the NVML provider newly detected on a GPU, by signal.",
      labelNames: ["signal"],
      registers,
    });
    const view = () => this.#store;
    new Gauge({
      name: GPUS_BY_ACTION,
      help: "GPUs in the store by status.recommended_action " +
        '("none" when empty, "other" outside the known actions).',
      labelNames: ["action"],
      registers,
      collect() {
        const counts = new Map<string, number>(
          [NO_ACTION, ...RECOMMENDED_ACTIONS, OTHER_ACTION].map((a) => [a, 0]),
        );
        for (const { gpu } of view()?.snapshot() ?? []) {
          const action = gpu.status.recommendedAction;
          const label = action === ""
            ? NO_ACTION
            : (RECOMMENDED_ACTIONS as readonly string[]).includes(action)
            ? action
            : OTHER_ACTION;
          counts.set(label, counts.get(label)! + 1);
        }
        for (const [action, n] of counts) this.set({ action }, n);
      },
    });
    const setState = (current: NvmlState) => {
      up.set(current === "running" ? 1 : 0);
      for (const s of NVML_STATES) state.set({ state: s }, s === current ? 1 : 0);
    };
    setState("disabled");
    // Every label value exists from the start (at 0), so rate() and alerts see the series.
    for (const xid of [...XID_CATALOG.keys()].map(String)) xids.inc({ xid }, 0);
    xids.inc({ xid: OTHER_XID_LABEL }, 0);
    for (const signal of SIGNAL_NAMES) signals.inc({ signal }, 0);
    this.hooks = {
      onState: setState,
      onXid: (xid) => xids.inc({ xid }),
      onSignal: (signal) => signals.inc({ signal }),
    };
  }

  /** Binds the store the action gauge reads at scrape time. */
  bind(store: ActionView): void {
    this.#store = store;
  }
}
