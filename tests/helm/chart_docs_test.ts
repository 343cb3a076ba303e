import assert from "node:assert/strict";
import { parse } from "yaml";
import { CHART_DIR } from "./_chart.ts";
import { documentedValues } from "./_values_doc.ts";

const valuesYaml = await Deno.readTextFile(`${CHART_DIR}/values.yaml`);
const values = parse(valuesYaml);
const readme = await Deno.readTextFile(`${CHART_DIR}/README.md`);
const schema = JSON.parse(await Deno.readTextFile(`${CHART_DIR}/values.schema.json`));
const documented = documentedValues(valuesYaml);

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: unknown;
}

Deno.test("values.yaml documents every key with a # -- comment", () => {
  assert.deepEqual(documented.undocumented, []);
  assert.ok(documented.values.length > 80);
});

Deno.test("README values table matches values.yaml keys, types, defaults and descriptions", () => {
  const rows = [...readme.matchAll(/^\| `([^`]+)` +\| (\w+) +\| `(.*?)` +\| (.*?) +\|$/gm)];
  assert.deepEqual(rows.map((r) => r[1]), documented.values.map((v) => v.key));
  rows.forEach((row, i) => {
    const value = documented.values[i]!;
    assert.equal(row[2], value.type, value.key);
    assert.deepEqual(JSON.parse(row[3]!), value.default, value.key);
    assert.equal(row[4], value.description, value.key);
  });
});

Deno.test("values.schema.json declares exactly the keys of values.yaml in its closed objects", () => {
  // Values documented as a whole (resources, securityContext, ...) are Kubernetes objects, not sections.
  const wholes = new Set(documented.values.map((v) => `.${v.key}`));
  const walk = (node: SchemaNode, value: Record<string, unknown>, path: string) => {
    if (node.properties === undefined || node.additionalProperties !== false) return;
    const declared = Object.keys(node.properties).filter((k) => !(path === "" && k === "global"))
      .sort();
    assert.deepEqual(
      declared,
      Object.keys(value).filter((k) => !(path === "" && k === "global")).sort(),
      `schema properties of ${path || "<root>"}`,
    );
    for (const [k, child] of Object.entries(node.properties)) {
      const v = value[k];
      const childPath = `${path}.${k}`;
      if (typeof v === "object" && v !== null && !Array.isArray(v) && !wholes.has(childPath)) {
        walk(child, v as Record<string, unknown>, childPath);
      }
    }
  };
  assert.equal(schema.additionalProperties, false);
  walk(schema, values, "");
});

Deno.test("README explains why PDB and RBAC are off and how consumers mount the socket", () => {
  assert.match(readme, /## RBAC and PodDisruptionBudget are off by default/);
  assert.match(readme, /calls no Kubernetes API/);
  assert.match(readme, /one pod\s+per node/);
  assert.match(readme, /hostPath:\n\s+path: \/var\/run\/device-api\n/);
});
