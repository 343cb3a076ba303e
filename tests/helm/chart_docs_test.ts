import assert from "node:assert/strict";
import { parse } from "yaml";
import { dirname } from "node:path";
import { CHART_DIR, schedulable } from "./_chart.ts";
import { validateObject } from "./_kube.ts";
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

Deno.test("README explains why PDB and RBAC are off", () => {
  assert.match(readme, /## RBAC and PodDisruptionBudget are off by default/);
  assert.match(readme, /calls no Kubernetes API/);
  assert.match(readme, /one pod\s+per node/);
});

Deno.test("README's consumer Pod is a valid Pod that reaches the chart's socket with its group", () => {
  const pods = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!))
    .filter((doc) => doc?.kind === "Pod");
  assert.equal(pods.length, 1);
  const pod = pods[0]!;
  assert.deepEqual(validateObject(pod), []);
  const socket: string = values.server.unixSocket;
  const volume = pod.spec.volumes.find((v: { hostPath?: { path: string } }) => v.hostPath)!;
  assert.equal(volume.hostPath.path, dirname(socket));
  const consumer = pod.spec.containers[0];
  const mount = consumer.volumeMounts.find((m: { name: string }) => m.name === volume.name);
  assert.equal(mount.mountPath, dirname(socket));
  const endpoint = consumer.env.find((e: { name: string }) => e.name === "DEVICE_API_ENDPOINT");
  assert.equal(endpoint.value, `unix://${socket}`);
  // Socket mode 0660: the consumer needs the server's group.
  assert.equal(values.server.socketMode, "0660");
  assert.ok(
    pod.spec.securityContext.supplementalGroups.includes(values.securityContext.runAsGroup),
  );
  assert.ok(schedulable(pod.spec, { "nvidia.com/gpu.present": "true" }));
});
