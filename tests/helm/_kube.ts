/**
 * Validates rendered chart objects: built-in kinds against the Kubernetes
 * OpenAPI schemas compiled into npm `kubernetes-models` plus a strict
 * unknown-key walk; Prometheus Operator CRDs against hand-written shapes of
 * the fields the chart uses.
 *
 * @module
 */

import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Pod } from "kubernetes-models/v1/Pod";
import { ResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import {
  ANY,
  labelSelectorShape,
  objectMetaShape,
  objectShape,
  SCALAR,
  type Shape,
  shapeOfKind,
  unknownKeys,
} from "./_shape.ts";

/** A rendered Kubernetes object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // deno-lint-ignore no-explicit-any
  [key: string]: any;
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, ModelClass> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Pod": Pod,
  "v1/ResourceQuota": ResourceQuota,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/DaemonSet": DaemonSet,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
};

const strings: Shape = { kind: "array", of: SCALAR };
const stringMap: Shape = { kind: "map", of: SCALAR };
const relabelConfig = objectShape(Object.fromEntries(
  ["sourceLabels", "separator", "targetLabel", "regex", "modulus", "replacement", "action"]
    .map((k) => [k, k === "sourceLabels" ? strings : SCALAR]),
));
const relabelings: Shape = { kind: "array", of: relabelConfig };

/** Fields of monitoring.coreos.com/v1 the chart may render (a subset of the CRD, all real fields). */
const CRD_SHAPES: Record<string, () => Shape> = {
  "monitoring.coreos.com/v1/ServiceMonitor": () =>
    objectShape({
      apiVersion: SCALAR,
      kind: SCALAR,
      metadata: objectMetaShape(),
      spec: objectShape({
        jobLabel: SCALAR,
        targetLabels: strings,
        podTargetLabels: strings,
        selector: labelSelectorShape(),
        namespaceSelector: objectShape({ any: SCALAR, matchNames: strings }),
        sampleLimit: SCALAR,
        endpoints: {
          kind: "array",
          of: objectShape({
            port: SCALAR,
            path: SCALAR,
            scheme: SCALAR,
            interval: SCALAR,
            scrapeTimeout: SCALAR,
            honorLabels: SCALAR,
            relabelings,
            metricRelabelings: relabelings,
            tlsConfig: ANY,
          }),
        },
      }),
    }),
  "monitoring.coreos.com/v1/PrometheusRule": () =>
    objectShape({
      apiVersion: SCALAR,
      kind: SCALAR,
      metadata: objectMetaShape(),
      spec: objectShape({
        groups: {
          kind: "array",
          of: objectShape({
            name: SCALAR,
            interval: SCALAR,
            limit: SCALAR,
            rules: {
              kind: "array",
              of: objectShape({
                alert: SCALAR,
                record: SCALAR,
                expr: SCALAR,
                for: SCALAR,
                keep_firing_for: SCALAR,
                labels: stringMap,
                annotations: stringMap,
              }),
            },
          }),
        },
      }),
    }),
};

/**
 * Validates one object; returns the problems found (empty when valid).
 *
 * @param obj a rendered object
 * @returns human-readable problems, each prefixed with kind/name
 */
export function validateObject(obj: KubeObject): string[] {
  const id = `${obj.apiVersion}/${obj.kind}`;
  const where = `${obj.kind}/${obj.metadata?.name ?? "?"}`;
  const problems: string[] = [];
  const Model = MODELS[id];
  const crd = CRD_SHAPES[id];
  if (Model !== undefined) {
    try {
      new Model(structuredClone(obj) as never).validate();
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
    problems.push(
      ...unknownKeys(obj, shapeOfKind(obj.apiVersion, obj.kind)).map((k) =>
        `${where}: unknown key ${k}`
      ),
    );
  } else if (crd !== undefined) {
    problems.push(...unknownKeys(obj, crd()).map((k) => `${where}: unknown key ${k}`));
    problems.push(...crdRequired(obj).map((p) => `${where}: ${p}`));
  } else {
    problems.push(`${where}: no schema for ${id}`);
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(obj.metadata?.name ?? "")) {
    problems.push(`${where}: metadata.name is not a DNS label`);
  }
  return problems;
}

function crdRequired(obj: KubeObject): string[] {
  const problems: string[] = [];
  if (obj.kind === "ServiceMonitor") {
    if (typeof obj.spec?.selector !== "object") problems.push("spec.selector is required");
    const endpoints: unknown[] = obj.spec?.endpoints ?? [];
    if (endpoints.length === 0) problems.push("spec.endpoints must not be empty");
  }
  if (obj.kind === "PrometheusRule") {
    for (const group of obj.spec?.groups ?? []) {
      if (typeof group.name !== "string") problems.push("spec.groups[].name is required");
      for (const rule of group.rules ?? []) {
        if (typeof rule.expr !== "string") {
          problems.push(`rule ${rule.alert}: expr must be a string`);
        }
        if ((rule.alert === undefined) === (rule.record === undefined)) {
          problems.push("a rule needs exactly one of alert and record");
        }
      }
    }
  }
  return problems;
}
