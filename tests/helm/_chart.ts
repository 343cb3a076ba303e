/**
 * Runs Helm against charts/device-api-server for the chart tests.
 *
 * @module
 */

import { parseAllDocuments } from "yaml";
import { ensureHelm } from "../_tools/helm.ts";
import type { KubeObject } from "./_kube.ts";

/** Absolute path of the chart. */
export const CHART_DIR = new URL("../../charts/device-api-server", import.meta.url).pathname;
/** Release name used by every render. */
export const RELEASE = "dapi";
/** Namespace used by every render. */
export const NAMESPACE = "gpu-system";

/** Result of one helm invocation. */
export interface HelmResult {
  success: boolean;
  stdout: string;
  stderr: string;
}

/** Runs helm with `args`, writing `values` (if any) to a temporary values file passed with `--values`. */
export async function helm(args: string[], values?: Record<string, unknown>): Promise<HelmResult> {
  const bin = await ensureHelm();
  let valuesFile: string | undefined;
  if (values !== undefined) {
    valuesFile = await Deno.makeTempFile({ prefix: "dapi-values-", suffix: ".yaml" });
    await Deno.writeTextFile(valuesFile, JSON.stringify(values));
  }
  try {
    const out = await new Deno.Command(bin, {
      args: valuesFile === undefined ? args : [...args, "--values", valuesFile],
      stdout: "piped",
      stderr: "piped",
      env: { HELM_CACHE_HOME: "/tmp/dapi-helm/cache", HELM_CONFIG_HOME: "/tmp/dapi-helm/config" },
    }).output();
    const dec = new TextDecoder();
    return { success: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    if (valuesFile !== undefined) await Deno.remove(valuesFile);
  }
}

/**
 * Renders the chart with `values` and returns its objects (hooks included).
 *
 * @throws {Error} when helm template fails
 */
export async function renderChart(
  values: Record<string, unknown> = {},
  extraArgs: string[] = [],
): Promise<KubeObject[]> {
  const res = await helm(
    ["template", RELEASE, CHART_DIR, "--namespace", NAMESPACE, ...extraArgs],
    values,
  );
  if (!res.success) throw new Error(`Cannot render the chart: ${res.stderr}`);
  return parseAllDocuments(res.stdout)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((obj): obj is KubeObject => obj !== null);
}

/** Renders the chart with `values`, expecting failure; returns helm's error output. */
export async function renderFailure(values: Record<string, unknown>): Promise<string> {
  const res = await helm(["template", RELEASE, CHART_DIR, "--namespace", NAMESPACE], values);
  if (res.success) {
    throw new Error(
      `Cannot get a render failure: helm template accepted ${JSON.stringify(values)}`,
    );
  }
  return res.stderr;
}

/** Returns the only object of `kind` (and name suffix), failing when there is none or several. */
export function one(objects: KubeObject[], kind: string, nameSuffix = ""): KubeObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) {
    throw new Error(`Cannot find one ${kind} named *${nameSuffix}: found ${found.length}`);
  }
  return found[0]!;
}

/** Parses `--flag=value` container args into a map (flags without `=` map to "true"). */
export function argMap(args: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const arg of args) {
    const m = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (m === null) throw new Error(`Cannot parse container arg ${arg}: not --flag[=value]`);
    if (map.has(m[1]!)) throw new Error(`Cannot parse container args: --${m[1]} appears twice`);
    map.set(m[1]!, m[2] ?? "true");
  }
  return map;
}

/** Loosely typed JSON value, for reading rendered objects in assertions. */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** `helm template` flag under which the cluster serves the Prometheus Operator's API. */
export const WITH_PROMETHEUS_OPERATOR: readonly string[] = [
  "--api-versions",
  "monitoring.coreos.com/v1",
];

/** Node labels as a scheduler sees them, for {@linkcode schedulable}. */
export type NodeLabels = Record<string, string>;

/**
 * Whether a pod spec may be scheduled on a node with `labels`: its
 * nodeSelector and every required node-affinity term (In, NotIn, Exists,
 * DoesNotExist), as the scheduler evaluates them.
 */
export function schedulable(pod: Json, labels: NodeLabels): boolean {
  for (const [k, v] of Object.entries(pod.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms: Json[] | undefined = pod.affinity?.nodeAffinity
    ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined) return true;
  return terms.some((term) =>
    (term.matchExpressions ?? []).every((e: Json) => {
      const has = Object.hasOwn(labels, e.key);
      switch (e.operator) {
        case "In":
          return has && e.values.includes(labels[e.key]);
        case "NotIn":
          return !has || !e.values.includes(labels[e.key]);
        case "Exists":
          return has;
        case "DoesNotExist":
          return !has;
        default:
          throw new Error(`Cannot evaluate node selector operator ${e.operator}`);
      }
    })
  );
}
