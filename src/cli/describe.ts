/**
 * The `describe gpu` page: every field of a GPU for a person, conditions as a table. Pure.
 *
 * @module
 */
import type { Gpu } from "../api/mod.ts";
import { ageOf, cellText, orNone, readyOf, renderTable, timestampMs } from "./format.ts";
import { timestampToJson } from "../api/mod.ts";

/** A line of the page: indent level, key and value lines (none for a section heading). */
type Field = readonly [level: number, key: string, values: readonly string[]];

/**
 * Renders a GPU the way `kubectl describe` renders objects: aligned `Key:  value` lines, spec
 * and status in sections, and the conditions as a TYPE STATUS REASON OWNER AGE MESSAGE table.
 *
 * @param gpu the GPU
 * @param nowMs the current time in epoch milliseconds, for ages
 * @returns the page, ending with a newline
 */
export function describeGpu(gpu: Gpu, nowMs: number): string {
  const meta = gpu.metadata;
  const spec = gpu.spec;
  const conditions = gpu.status?.conditions ?? [];
  const created = meta.creationTimestamp;
  const fields: Field[] = [
    [0, "Name", [meta.name]],
    [0, "Namespace", [meta.namespace]],
    [0, "Labels", mapLines(meta.labels)],
    [0, "Annotations", mapLines(meta.annotations)],
    [0, "UID", [orNone(meta.uid)]],
    [0, "Generation", [String(meta.generation)]],
    [0, "Resource Version", [meta.resourceVersion]],
    [0, "Created", [
      timestampMs(created) === undefined
        ? "<unknown>"
        : `${timestampToJson(created)} (${ageOf(created, nowMs)} ago)`,
    ]],
    [0, "Spec", []],
    [1, "UUID", [spec.uuid]],
    [1, "Product Name", [orNone(spec.productName)]],
    [1, "PCI Bus ID", [orNone(spec.pciBusId)]],
    [1, "Index", [String(spec.index)]],
    [1, "Minor Number", [String(spec.minorNumber)]],
    [1, "Memory Total", [formatBytes(spec.memoryTotalBytes)]],
    [1, "Serial", [orNone(spec.serial)]],
    [0, "Status", []],
    [1, "Ready", [readyOf(conditions)]],
    [1, "Recommended Action", [orNone(gpu.status?.recommendedAction ?? "")]],
  ];
  fields.push([1, "Conditions", conditions.length === 0 ? ["<none>"] : []]);
  const page = renderFields(fields);
  if (conditions.length === 0) return page;
  const rows = conditions.map((c) =>
    [
      c.type,
      c.status,
      orNone(c.reason),
      orNone(c.owner),
      ageOf(c.lastTransitionTime, nowMs),
      c.message,
    ].map(cellText)
  );
  return page +
    renderTable([["TYPE", "STATUS", "REASON", "OWNER", "AGE", "MESSAGE"], ...rows], {
      indent: "    ",
    });
}

/** Several GPUs' pages, separated by a blank line as kubectl separates them. */
export function describeGpus(gpus: readonly Gpu[], nowMs: number): string {
  return gpus.map((gpu) => describeGpu(gpu, nowMs)).join("\n");
}

function mapLines(map: Record<string, string> | null | undefined): string[] {
  const keys = Object.keys(map ?? {}).sort();
  return keys.length === 0 ? ["<none>"] : keys.map((k) => `${k}=${map![k]}`);
}

// Values of one page start in one column: two spaces after the longest indented key.
function renderFields(fields: readonly Field[]): string {
  const keyWidth = (level: number, key: string) => level * 2 + key.length + 1;
  const column = Math.max(...fields.map(([level, key]) => keyWidth(level, key))) + 2;
  const lines: string[] = [];
  for (const [level, key, values] of fields) {
    const label = `${"  ".repeat(level)}${key}:`;
    const [first, ...rest] = values.map(cellText);
    if (first === undefined) {
      lines.push(label);
      continue;
    }
    lines.push(label.padEnd(column) + first, ...rest.map((v) => " ".repeat(column) + v));
  }
  return lines.join("\n") + "\n";
}

const UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * Writes a byte count in binary units with the exact count, so both a person and a diff can use
 * it; 0 (not reported) is `<none>`.
 *
 * @example Usage
 * ```ts
 * import { formatBytes } from "./describe.ts";
 * formatBytes(85899345920); // "80 GiB (85899345920 bytes)"
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!bytes) return "<none>";
  let value = bytes;
  let unit = "bytes";
  for (const next of UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  if (unit === "bytes") return `${bytes} bytes`;
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${shown} ${unit} (${bytes} bytes)`;
}
