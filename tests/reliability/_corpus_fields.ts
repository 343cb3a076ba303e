/**
 * Field-level cases of the bad-input corpus: names, uuids, conditions and
 * labels.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { Case, Method } from "./_corpus.ts";
import { encode } from "./_wire.ts";

const INVALID = status.INVALID_ARGUMENT;

function req(type: string, value: Record<string, unknown>): Uint8Array {
  return encode(`${type}Request`, value);
}

function gpu(name: string, uuid: string, extra: Record<string, unknown> = {}) {
  const { metadata, ...rest } = extra as { metadata?: Record<string, unknown> };
  return { gpu: { metadata: { name, ...metadata }, spec: { uuid }, ...rest } };
}

const BAD_NAMES = [
  "-gpu",
  "gpu-",
  "gpu 0",
  "gpu/0",
  "gpu\u00fc",
  "..",
  "gpu\u0000",
  "g".repeat(254),
];

/** Malformed names on every RPC that takes one: INVALID_ARGUMENT, never NOT_FOUND. */
export function invalidNames(): Case[] {
  const cases: Case[] = [];
  for (const name of BAD_NAMES) {
    const label = JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name);
    const per: [Method, Uint8Array, RegExp][] = [
      ["GetGpu", req("GetGpu", { name }), /^name: invalid name/],
      ["DeleteGpu", req("DeleteGpu", { name }), /^name: invalid name/],
      ["UpdateGpuStatus", req("UpdateGpuStatus", { name }), /^name: invalid name/],
      ["CreateGpu", req("CreateGpu", gpu(name, "GPU-n")), /^gpu\.metadata\.name: invalid name/],
      ["UpdateGpu", req("UpdateGpu", gpu(name, "GPU-n")), /^gpu\.metadata\.name: invalid name/],
    ];
    for (const [method, payload, details] of per) {
      cases.push({ name: `${method} of name ${label}`, method, payload, code: INVALID, details });
    }
  }
  // The longest valid name is well-formed: absent, so NOT_FOUND.
  cases.push({
    name: "GetGpu of a 253-character name",
    method: "GetGpu",
    payload: req("GetGpu", { name: "g".repeat(253) }),
    code: status.NOT_FOUND,
    details: /not found/,
  });
  return cases;
}

/** Malformed uuids on create and update. */
export function invalidUuids(): Case[] {
  const cases: Case[] = [];
  for (const uuid of ["", "-GPU", "GPU x", "GPU-\u00fc", "u".repeat(129)]) {
    const label = JSON.stringify(uuid.length > 20 ? `u…(${uuid.length})` : uuid);
    for (const [method, name] of [["CreateGpu", "gpu-new"], ["UpdateGpu", "gpu-0"]] as const) {
      cases.push({
        name: `${method} with uuid ${label}`,
        method,
        payload: req(method, gpu(name, uuid)),
        code: INVALID,
        details: /^gpu\.spec\.uuid: /,
      });
    }
  }
  return cases;
}

function conditions(n: number, type = (i: number) => `C${i}`) {
  return Array.from({ length: n }, (_, i) => ({ type: type(i), status: "True" }));
}

/** Too many, duplicate and malformed conditions. */
export function badConditions(): Case[] {
  const status33 = { status: { conditions: conditions(33) } };
  return [
    {
      name: "UpdateGpuStatus with 33 conditions",
      method: "UpdateGpuStatus",
      payload: req("UpdateGpuStatus", { name: "gpu-0", ...status33 }),
      code: INVALID,
      details: /^status\.conditions: too many conditions: 33, the limit is 32/,
    },
    {
      name: "UpdateGpuStatus with 2000 conditions",
      method: "UpdateGpuStatus",
      payload: req("UpdateGpuStatus", { name: "gpu-0", status: { conditions: conditions(2000) } }),
      code: INVALID,
      details: /too many conditions: 2000/,
    },
    {
      name: "CreateGpu with 33 conditions",
      method: "CreateGpu",
      payload: req("CreateGpu", gpu("gpu-new", "GPU-new", status33)),
      code: INVALID,
      details: /^gpu\.status\.conditions: too many conditions/,
    },
    {
      name: "UpdateGpuStatus with a duplicate condition type",
      method: "UpdateGpuStatus",
      payload: req("UpdateGpuStatus", {
        name: "gpu-0",
        status: { conditions: conditions(2, () => "Ready") },
      }),
      code: INVALID,
      details: /conditions\[1\]\.type: duplicate/,
    },
    {
      name: "UpdateGpuStatus with a condition status 'Maybe'",
      method: "UpdateGpuStatus",
      payload: req("UpdateGpuStatus", {
        name: "gpu-0",
        status: { conditions: [{ type: "Ready", status: "Maybe" }] },
      }),
      code: INVALID,
      details: /conditions\[0\]\.status/,
    },
    {
      name: "UpdateGpuStatus with a transition time in year 10000",
      method: "UpdateGpuStatus",
      payload: req("UpdateGpuStatus", {
        name: "gpu-0",
        status: {
          conditions: [{ type: "Ready", status: "False", lastTransitionTime: { seconds: 3e11 } }],
        },
      }),
      code: INVALID,
      details: /last_transition_time: seconds/,
    },
  ];
}

/** Oversized and malformed labels and annotations. */
export function hugeLabels(): Case[] {
  const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`key-${i}`, "value"]));
  const labelCase = (label: string, labels: Record<string, string>, details: RegExp): Case => ({
    name: `UpdateGpu with ${label}`,
    method: "UpdateGpu",
    payload: req("UpdateGpu", gpu("gpu-0", "GPU-0", { metadata: { labels } })),
    code: INVALID,
    details,
  });
  return [
    labelCase("a 64-character label value", { zone: "v".repeat(64) }, /labels\["zone"\]/),
    labelCase("a 64-character label key", { ["k".repeat(64)]: "v" }, /gpu\.metadata\.labels/),
    labelCase("a 254-character key prefix", { [`${"p".repeat(254)}/k`]: "v" }, /invalid key/),
    labelCase("2000 labels", many, /^gpu: object too large/),
    {
      name: "CreateGpu with 2000 labels",
      method: "CreateGpu",
      payload: req("CreateGpu", gpu("gpu-new", "GPU-new", { metadata: { labels: many } })),
      code: INVALID,
      details: /^gpu: object too large/,
    },
    {
      name: "UpdateGpu with a 20000-character annotation",
      method: "UpdateGpu",
      payload: req(
        "UpdateGpu",
        gpu("gpu-0", "GPU-0", { metadata: { annotations: { big: "a".repeat(20000) } } }),
      ),
      code: INVALID,
      details: /^gpu: object too large/,
    },
  ];
}
