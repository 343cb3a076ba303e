import assert from "node:assert/strict";
import { type KubeObject, validateObject } from "./_kube.ts";

function daemonSet(
  container: Record<string, unknown>,
  extraSpec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "x" },
    spec: {
      selector: { matchLabels: { app: "x" } },
      template: {
        metadata: { labels: { app: "x" } },
        spec: { containers: [{ name: "c", image: "i", ...container }], ...extraSpec },
      },
    },
  };
}

Deno.test("validateObject() accepts a minimal DaemonSet", () => {
  assert.deepEqual(validateObject(daemonSet({})), []);
});

Deno.test("validateObject() reports a misspelled key deep in the pod template", () => {
  const problems = validateObject(daemonSet({ readinesProbe: { httpGet: { port: 1 } } }));
  assert.deepEqual(problems, [
    "DaemonSet/x: unknown key .spec.template.spec.containers[0].readinesProbe",
  ]);
});

Deno.test("validateObject() reports unknown keys inside maps of objects and lists", () => {
  const problems = validateObject(
    daemonSet({}, { volumes: [{ name: "v", hostPath: { path: "/x", kind: "Dir" } }] }),
  );
  assert.deepEqual(problems, [
    "DaemonSet/x: unknown key .spec.template.spec.volumes[0].hostPath.kind",
  ]);
});

Deno.test("validateObject() reports wrong types and missing required fields", () => {
  const problems = validateObject(daemonSet({ ports: [{ containerPort: "8081" }] }));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /containerPort must be integer/);
  const noSelector = daemonSet({});
  delete noSelector.spec.selector;
  assert.match(validateObject(noSelector).join("\n"), /selector/);
});

Deno.test("validateObject() checks ServiceMonitor fields structurally", () => {
  const sm: KubeObject = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: "x" },
    spec: {
      selector: { matchLabels: { a: "b" } },
      endpoints: [{ port: "metrics", intervall: "30s" }],
    },
  };
  assert.deepEqual(validateObject(sm), [
    "ServiceMonitor/x: unknown key .spec.endpoints[0].intervall",
  ]);
});

Deno.test("validateObject() rejects kinds it has no schema for", () => {
  const obj: KubeObject = { apiVersion: "example.com/v1", kind: "Thing", metadata: { name: "x" } };
  assert.deepEqual(validateObject(obj), ["Thing/x: no schema for example.com/v1/Thing"]);
});
