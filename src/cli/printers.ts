/**
 * The printers of `get gpus`: table, wide, name, json, yaml, `jsonpath=TEMPLATE` and
 * `custom-columns=HEADER:PATH,…`, for a list and for each event of `get -w`. Pure.
 *
 * @module
 */
import type { Gpu } from "../api/mod.ts";
import { JsonPath, valueText } from "../jsonpath/mod.ts";
import { cellText, gpuTable, renderTable } from "./format.ts";
import { objectText } from "./output.ts";
import type { JsonObject } from "../api/mod.ts";
import { gpuToJson } from "../api/mod.ts";

/** A template output compiled: the JSONPath, or the headers and paths of custom columns. */
export type TemplateOutput =
  | { readonly kind: "jsonpath"; readonly path: JsonPath }
  | { readonly kind: "custom-columns"; readonly columns: readonly Column[] };

interface Column {
  readonly header: string;
  readonly path: JsonPath;
}

/**
 * Compiles `jsonpath=TEMPLATE` or `custom-columns=HEADER:PATH,…` (PATH with or without braces).
 *
 * @param raw the -o value
 * @returns the compiled output
 * @throws {SyntaxError} when the template or a column is malformed
 * @example Usage
 * ```ts
 * import { compileOutput } from "./printers.ts";
 * compileOutput("custom-columns=NAME:.metadata.name,UUID:{.spec.uuid}").kind; // "custom-columns"
 * ```
 */
export function compileOutput(raw: string): TemplateOutput {
  const eq = raw.indexOf("=");
  const [format, arg] = [raw.slice(0, eq), raw.slice(eq + 1)];
  if (format === "jsonpath") return { kind: "jsonpath", path: new JsonPath(arg) };
  if (format !== "custom-columns") throw new SyntaxError(`Cannot print as ${format}`);
  const columns = arg.split(",").map((spec) => {
    const colon = spec.indexOf(":");
    if (colon <= 0 || colon === spec.length - 1) {
      throw new SyntaxError(`Cannot read column ${JSON.stringify(spec)}: must be HEADER:PATH`);
    }
    const path = spec.slice(colon + 1);
    return {
      header: spec.slice(0, colon),
      path: new JsonPath(path.startsWith("{") ? path : `{${path}}`),
    };
  });
  return { kind: "custom-columns", columns };
}

/** Options of {@linkcode formatGpus}. */
export interface FormatGpusOptions {
  /** The -o value (the verb's default "table" included). */
  readonly output: string;
  /** The current time in epoch milliseconds, for AGE. */
  readonly nowMs: number;
  /** Adds a NAMESPACE column (`--all-namespaces`). */
  readonly allNamespaces: boolean;
  /** Prints the header line of tables and custom columns. */
  readonly headers: boolean;
}

/**
 * Writes GPUs in the -o format.
 *
 * @param gpus the rows of tables, names and custom columns
 * @param json what json, yaml and jsonpath print: the GpuList, or one Gpu
 * @param options see FormatGpusOptions
 * @returns the text
 */
export function formatGpus(
  gpus: readonly Gpu[],
  json: JsonObject,
  options: FormatGpusOptions,
): string {
  const { output } = options;
  if (output === "json" || output === "yaml") return objectText(output, json);
  if (output === "name") return gpus.map((gpu) => `gpu/${gpu.metadata.name}\n`).join("");
  if (output === "table" || output === "wide") {
    const table = gpuTable(gpus, {
      nowMs: options.nowMs,
      wide: output === "wide",
      namespace: options.allNamespaces,
    });
    return options.headers ? table : table.slice(table.indexOf("\n") + 1);
  }
  const template = compileOutput(output);
  if (template.kind === "jsonpath") return template.path.render(json);
  const rows = gpus.map((gpu) => {
    const object = gpuToJson(gpu);
    return template.columns.map((c) => {
      const values = c.path.values(object).map(valueText).filter((v) => v !== "");
      return cellText(values.length === 0 ? "<none>" : values.join(","));
    });
  });
  const header = template.columns.map((c) => c.header);
  return renderTable(options.headers ? [header, ...rows] : rows);
}
