/**
 * A kubectl-style JSONPath subset for `-o jsonpath=…` and `-o custom-columns=…`: fields
 * (`.a`, `['a.b']`), `*`, indexes (negative from the end), slices, recursive descent (`..a`),
 * filters (`[?(@.type=="Ready")]`, `[?(@.x)]`), string literals and `{range …}{end}`. Parsing
 * is one pass and evaluation visits each value at most once per step: time is linear in the
 * template and the data, with no regular expression to backtrack. Pure.
 *
 * @module
 */
import { type Node, parseTemplate, type Step } from "./_parse.ts";

/** A compiled template. */
export class JsonPath {
  readonly #nodes: readonly Node[];

  /**
   * Compiles a template.
   *
   * @param template e.g. `{.items[*].metadata.name}`
   * @throws {SyntaxError} when the template does not parse
   */
  constructor(template: string) {
    this.#nodes = parseTemplate(template);
  }

  /**
   * Renders the template as kubectl does: a path's values joined by spaces, strings as they are,
   * objects and arrays as JSON, missing values as nothing.
   *
   * @param data the JSON data, e.g. a protobuf JSON GpuList
   * @returns the text
   * @example Usage
   * ```ts
   * import { JsonPath } from "./mod.ts";
   * const data = { items: [{ name: "a" }, { name: "b" }] };
   * new JsonPath("{.items[*].name}").render(data); // "a b"
   * new JsonPath('{range .items[*]}{.name}{"\\n"}{end}').render(data); // "a\nb\n"
   * ```
   */
  render(data: unknown): string {
    return renderNodes(this.#nodes, data, data);
  }

  /**
   * The values the template's paths select, for one custom column.
   *
   * @param data the JSON data
   * @returns every value selected, in order
   */
  values(data: unknown): unknown[] {
    return this.#nodes.flatMap((node) => node.kind === "path" ? select(node.steps, [data]) : []);
  }
}

function renderNodes(nodes: readonly Node[], root: unknown, current: unknown): string {
  let out = "";
  for (const node of nodes) {
    if (node.kind === "text") {
      out += node.text;
    } else if (node.kind === "path") {
      out += select(node.steps, [node.root ? root : current]).map(valueText).join(" ");
    } else {
      for (const item of rangeItems(select(node.steps, [node.root ? root : current]))) {
        out += renderNodes(node.body, root, item);
      }
    }
  }
  return out;
}

// `range .items` and `range .items[*]` both iterate the items, as kubectl does.
function rangeItems(values: unknown[]): unknown[] {
  return values.length === 1 && Array.isArray(values[0]) ? values[0] : values;
}

/**
 * A value as kubectl's JSONPath prints it.
 *
 * @param value a selected value
 * @returns strings as they are, null as nothing, anything else as JSON
 */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  return JSON.stringify(value);
}

function select(steps: readonly Step[], start: unknown[]): unknown[] {
  let current = start;
  for (const step of steps) current = current.flatMap((value) => apply(step, value));
  return current;
}

function apply(step: Step, value: unknown): unknown[] {
  switch (step.op) {
    case "field":
      return isObject(value) && Object.hasOwn(value, step.name) ? [value[step.name]] : [];
    case "descend": {
      const found: unknown[] = [];
      descend(value, step.name, found);
      return found;
    }
    case "wildcard":
      return Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
    case "index": {
      if (!Array.isArray(value)) return [];
      const i = step.index < 0 ? value.length + step.index : step.index;
      return i >= 0 && i < value.length ? [value[i]] : [];
    }
    case "slice": {
      if (!Array.isArray(value)) return [];
      return value.slice(step.start ?? 0, step.end ?? value.length);
    }
    case "filter": {
      const items = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
      return items.filter((item) => matches(step, item));
    }
  }
}

function matches(step: Extract<Step, { op: "filter" }>, item: unknown): boolean {
  const found = select(step.path, [item]);
  if (step.compare === undefined) return found.some((v) => v !== null && v !== false);
  const want = String(step.compare.value);
  const equal = found.some((v) => String(v) === want);
  return step.compare.not ? !equal : equal;
}

// Depth-first, each value visited once: `..name` finds every field of that name at any depth.
function descend(value: unknown, name: string, found: unknown[]): void {
  if (Array.isArray(value)) {
    for (const item of value) descend(item, name, found);
  } else if (isObject(value)) {
    if (name === "*") found.push(...Object.values(value));
    else if (Object.hasOwn(value, name)) found.push(value[name]);
    for (const child of Object.values(value)) descend(child, name, found);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
