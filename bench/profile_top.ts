/**
 * Summarizes V8 CPU profiles (`.cpuprofile`, from `deno run --cpu-prof`,
 * which the benchmark passes when `BENCH_PROFILE_DIR` is set): where the
 * busy time went by layer, the top frames by self time, and the functions
 * of the project's own code (`src/`) by the time they spend themselves or in
 * the libraries they call (prom-client, protobufjs, V8 builtins), not
 * counting what grpc-js or Deno do on their behalf (a response callback's
 * HTTP/2 write belongs to the stack, not to the handler).
 *
 * Usage: `deno run -A bench/profile_top.ts [--top N] FILE.cpuprofile...`
 *
 * @module
 */
import { parseArgs } from "node:util";

/** The parts of a `.cpuprofile` this reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
}

/** Share of busy samples, in percent, by key. */
export interface ProfileSummary {
  busySamples: number;
  layers: [string, number][];
  self: [string, number][];
  own: [string, number][];
}

/** Layers that are the gRPC stack: a sample under one of them is not charged to our code. */
const STACK_LAYERS = new Set([
  "@grpc/grpc-js",
  "Deno node: compatibility (http2, net, streams, buffer)",
  "Deno runtime",
]);

/** The layer a frame's script belongs to. */
export function layerOf(url: string, functionName: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC";
    return functionName.startsWith("(") ? "V8 (program)" : "V8 builtins";
  }
  if (url.includes("/src/") && !url.includes("node_modules")) return "project (src/)";
  for (const pkg of ["@grpc/grpc-js", "prom-client", "protobufjs", "@grpc/proto-loader"]) {
    if (url.includes(`/${pkg}/`)) return pkg;
  }
  if (url.startsWith("node:") || url.startsWith("ext:deno_node") || url.includes("/node/")) {
    return "Deno node: compatibility (http2, net, streams, buffer)";
  }
  if (url.startsWith("ext:")) return "Deno runtime";
  return "other";
}

/** Aggregates one or more profiles; idle samples are left out. */
export function summarize(profiles: CpuProfile[]): ProfileSummary {
  const layers = new Map<string, number>();
  const self = new Map<string, number>();
  const own = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    for (const id of profile.samples) {
      const node = byId.get(id);
      if (!node || node.callFrame.functionName === "(idle)") continue;
      busy++;
      const { url, functionName } = node.callFrame;
      bump(layers, layerOf(url, functionName));
      bump(self, frameName(node.callFrame));
      // Charged to the nearest project frame, unless the stack comes first.
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)!.callFrame;
        const layer = layerOf(frame.url, frame.functionName);
        if (STACK_LAYERS.has(layer)) break;
        if (layer === "project (src/)") {
          bump(own, frameName(frame));
          break;
        }
      }
    }
  }
  const share = (m: Map<string, number>): [string, number][] =>
    [...m].map(([k, v]): [string, number] => [k, (100 * v) / Math.max(1, busy)])
      .sort((a, b) => b[1] - a[1]);
  return { busySamples: busy, layers: share(layers), self: share(self), own: share(own) };
}

/** The summary as Markdown tables, `top` rows each. */
export function summaryText(s: ProfileSummary, top: number): string {
  const table = (title: string, rows: [string, number][]) =>
    [
      `| ${title} | % of busy samples |`,
      "|---|--:|",
      ...rows.slice(0, top).map(([k, v]) => `| ${k} | ${v.toFixed(1)} |`),
    ].join("\n");
  return [
    `${s.busySamples} busy samples`,
    table("layer (self time)", s.layers),
    table("frame (self time)", s.self),
    table("own code (src/) and the libraries it calls", s.own),
  ].join("\n\n");
}

function frameName(f: { functionName: string; url: string; lineNumber: number }): string {
  const file = f.url.includes("/node_modules/")
    ? f.url.replace(/^.*\/node_modules\//, "")
    : f.url.replace(/^.*?\/src\//, "src/");
  return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`.replaceAll("|", "\\|");
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { top: { type: "string", default: "15" } },
    allowPositionals: true,
  });
  const profiles = await Promise.all(
    positionals.map(async (f) => JSON.parse(await Deno.readTextFile(f)) as CpuProfile),
  );
  console.log(summaryText(summarize(profiles), Number(values.top)));
}
