/**
 * Strict structural shapes of Kubernetes objects, read from the TypeScript
 * declarations that npm `kubernetes-models` ships (one `.d.ts` per type).
 *
 * kubernetes-models validates types and required fields but accepts unknown
 * keys, so a typo such as `readinesProbe` would pass; `unknownKeys()` walks an
 * object against the declared properties and reports every key the API type
 * does not have.
 *
 * @module
 */

/** Shape of a value: anything, a scalar, a list, a string-keyed map, or an object with known keys. */
export type Shape =
  | { kind: "any" }
  | { kind: "scalar" }
  | { kind: "array"; of: Shape }
  | { kind: "map"; of: Shape }
  | { kind: "object"; props: () => Map<string, Shape> };

const MODELS_DIR = Deno.realPathSync(
  new URL("../../node_modules/kubernetes-models", import.meta.url),
);
const SCOPE_DIR = `${MODELS_DIR}/../@kubernetes-models`;
const cache = new Map<string, Shape>();

/** Shape of a top-level kind such as `apps/v1` `DaemonSet`, from kubernetes-models' declarations. */
export function shapeOfKind(apiVersion: string, kind: string): Shape {
  const dir = apiVersion.includes("/") ? apiVersion : "v1";
  return shapeOfFile(`${MODELS_DIR}/${dir}/${kind}.d.ts`);
}

/** Lists the paths of keys in `value` that `shape` does not declare. */
export function unknownKeys(value: unknown, shape: Shape, path = ""): string[] {
  if (value === null || value === undefined) return [];
  switch (shape.kind) {
    case "any":
    case "scalar":
      return [];
    case "array":
      return Array.isArray(value)
        ? value.flatMap((v, i) => unknownKeys(v, shape.of, `${path}[${i}]`))
        : [];
    case "map":
      return isRecord(value)
        ? Object.entries(value).flatMap(([k, v]) => unknownKeys(v, shape.of, `${path}.${k}`))
        : [];
    case "object": {
      if (!isRecord(value)) return [];
      const props = shape.props();
      return Object.entries(value).flatMap(([k, v]) => {
        const child = props.get(k);
        return child === undefined ? [`${path}.${k}`] : unknownKeys(v, child, `${path}.${k}`);
      });
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shapeOfFile(file: string): Shape {
  const cached = cache.get(file);
  if (cached !== undefined) return cached;
  const text = Deno.readTextFileSync(file).replace(/\/\*[\s\S]*?\*\//g, "");
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/import \{ ([\w, ]+) \} from "([^"]+)";/g)) {
    for (const name of m[1]!.split(",")) imports.set(name.trim(), resolveSpecifier(file, m[2]!));
  }
  const body = /export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/.exec(text)?.[1];
  // A type alias (Quantity, Time, IntOrString, RawExtension, ...) is a scalar or free-form value.
  if (body === undefined) return rememberShape(file, { kind: "any" });
  let props: Map<string, Shape> | undefined;
  return rememberShape(file, {
    kind: "object",
    props: () => (props ??= parseProps(body, imports)),
  });
}

function rememberShape(file: string, shape: Shape): Shape {
  cache.set(file, shape);
  return shape;
}

function resolveSpecifier(from: string, specifier: string): string {
  if (specifier.startsWith(".")) {
    return new URL(specifier.replace(/\.js$/, ".d.ts"), `file://${from}`).pathname;
  }
  const scoped = /^@kubernetes-models\/([^/]+)\/(.+)$/.exec(specifier);
  if (scoped === null) return specifier;
  return `${SCOPE_DIR}/${scoped[1]}/${scoped[2]}.d.ts`;
}

/** Parses `"name"?: Type;` members (types may span lines and nest braces). */
function parseProps(body: string, imports: Map<string, string>): Map<string, Shape> {
  const props = new Map<string, Shape>();
  const member = /\s*"([^"]+)"\??:\s*/y;
  let pos = 0;
  while (pos < body.length) {
    member.lastIndex = pos;
    const m = member.exec(body);
    if (m === null) break;
    let depth = 0;
    let end = member.lastIndex;
    for (; end < body.length; end++) {
      const c = body[end];
      if (c === "{" || c === "<" || c === "(") depth++;
      else if (c === "}" || c === ">" || c === ")") depth--;
      else if (c === ";" && depth === 0) break;
    }
    props.set(m[1]!, parseType(body.slice(member.lastIndex, end).trim(), imports));
    pos = end + 1;
  }
  return props;
}

function parseType(type: string, imports: Map<string, string>): Shape {
  const array = /^Array<(.+)>$/s.exec(type);
  if (array !== null) return { kind: "array", of: parseType(array[1]!.trim(), imports) };
  const map = /^\{\s*\[key: string\]:\s*(.+?);?\s*\}$/s.exec(type);
  if (map !== null) return { kind: "map", of: parseType(map[1]!.trim(), imports) };
  const ref = imports.get(type);
  if (ref !== undefined) return shapeOfFile(ref);
  if (/^(string|number|boolean)$/.test(type) || /^"[^"]*"( \| "[^"]*")*$/.test(type)) {
    return { kind: "scalar" };
  }
  if (/^I[A-Z]\w+$/.test(type)) throw new TypeError(`Cannot resolve type ${type}: not imported`);
  return { kind: "any" };
}

/** Builds an object shape from a literal key table, for CRDs that kubernetes-models lacks. */
export function objectShape(props: Record<string, Shape>): Shape {
  const map = new Map(Object.entries(props));
  return { kind: "object", props: () => map };
}

/** Scalar shape, for hand-written CRD shapes. */
export const SCALAR: Shape = { kind: "scalar" };
/** Free-form shape, for hand-written CRD shapes. */
export const ANY: Shape = { kind: "any" };

/** Shape of `metav1.ObjectMeta`, for CRD metadata. */
export function objectMetaShape(): Shape {
  return shapeOfFile(`${SCOPE_DIR}/apimachinery/apis/meta/v1/ObjectMeta.d.ts`);
}

/** Shape of `metav1.LabelSelector`, for CRD selectors. */
export function labelSelectorShape(): Shape {
  return shapeOfFile(`${SCOPE_DIR}/apimachinery/apis/meta/v1/LabelSelector.d.ts`);
}
