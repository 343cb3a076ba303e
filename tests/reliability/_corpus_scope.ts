/**
 * Scope and version cases of the bad-input corpus: namespaces, resource
 * versions and preconditions, and unknown fields (accepted and ignored).
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { type Case, GPU0, type Method } from "./_corpus.ts";
import { concat, encode, fixed32, fixed64, group, len, varint } from "./_wire.ts";

const INVALID = status.INVALID_ARGUMENT;

function req(type: string, value: Record<string, unknown>): Uint8Array {
  return encode(`${type}Request`, value);
}

function gpu(name: string, uuid: string, extra: Record<string, unknown> = {}) {
  const { metadata, ...rest } = extra as { metadata?: Record<string, unknown> };
  return { gpu: { metadata: { name, ...metadata }, spec: { uuid }, ...rest } };
}

/** Malformed and unknown namespaces. */
export function wrongNamespaces(): Case[] {
  const get = (namespace: string) => req("GetGpu", { name: "gpu-0", opts: { namespace } });
  const list = (namespace: string) => req("ListGpus", { opts: { namespace } });
  return [
    { name: "GetGpu in namespace Other", method: "GetGpu", payload: get("Other"), code: INVALID },
    {
      name: "GetGpu in a 64-char namespace",
      method: "GetGpu",
      payload: get("n".repeat(64)),
      code: INVALID,
    },
    {
      name: "GetGpu in an empty namespace",
      method: "GetGpu",
      payload: get("nope"),
      code: status.NOT_FOUND,
    },
    {
      name: "GetGpu of gpu-10 in namespace other",
      method: "GetGpu",
      payload: req("GetGpu", { name: "gpu-10", opts: { namespace: "other" } }),
      code: status.NOT_FOUND,
      details: /not found in namespace "other"/,
    },
    {
      name: "ListGpus in namespace Bad_NS",
      method: "ListGpus",
      payload: list("Bad_NS"),
      code: INVALID,
    },
    {
      name: "WatchGpus in namespace UPPER",
      method: "WatchGpus",
      payload: list("UPPER"),
      code: INVALID,
    },
    {
      name: "WatchGpus in namespace other",
      method: "WatchGpus",
      payload: list("other"),
      code: status.OK,
    },
    {
      name: "CreateGpu in namespace -bad",
      method: "CreateGpu",
      payload: req("CreateGpu", gpu("gpu-new", "GPU-new", { metadata: { namespace: "-bad" } })),
      code: INVALID,
      details: /^gpu\.metadata\.namespace/,
    },
    {
      name: "UpdateGpu in namespace nope",
      method: "UpdateGpu",
      payload: req("UpdateGpu", gpu("gpu-0", "GPU-0", { metadata: { namespace: "nope" } })),
      code: status.NOT_FOUND,
    },
  ].map((c) => ({ details: /namespace/, ...c })) as Case[];
}

/** Watches from malformed, negative, absurd, too old and future versions; bad preconditions. */
export function badVersions(current: number): Case[] {
  const watch = (rv: string, code: status, details: RegExp): Case => ({
    name: `WatchGpus from resource version ${JSON.stringify(rv)}`,
    method: "WatchGpus",
    payload: req("WatchGpus", { opts: { resourceVersion: rv } }),
    code,
    details,
  });
  const invalid = /^opts\.resource_version: /;
  return [
    ...[
      "-1",
      "-9223372036854775808",
      "abc",
      "1.5",
      " 1",
      "+1",
      "0x10",
      "1e9",
      "99999999999999999999",
    ]
      .map((rv) => watch(rv, INVALID, invalid)),
    watch("9999999999999999", INVALID, /out of range/),
    watch("9007199254740991", status.OUT_OF_RANGE, /newer than the server's current version/),
    watch(String(current + 1), status.OUT_OF_RANGE, /newer/),
    watch("1", status.OUT_OF_RANGE, /too old resource version/),
    watch("0", status.OK, /^$/),
    {
      name: "UpdateGpuStatus with resource_version -1",
      method: "UpdateGpuStatus",
      payload: concat([len(1, "gpu-0"), varint(3, -1)]),
      code: INVALID,
      details: /^resource_version: /,
    },
    {
      name: "UpdateGpuStatus with resource_version 2^63-1",
      method: "UpdateGpuStatus",
      payload: concat([len(1, "gpu-0"), varint(3, 2n ** 63n - 1n)]),
      code: INVALID,
      details: /^resource_version: /,
    },
    {
      name: "UpdateGpu with metadata.resource_version 'abc'",
      method: "UpdateGpu",
      payload: req("UpdateGpu", gpu("gpu-0", "GPU-0", { metadata: { resourceVersion: "abc" } })),
      code: INVALID,
      details: /^gpu\.metadata\.resource_version: /,
    },
    {
      name: "UpdateGpu with resource_version -1",
      method: "UpdateGpu",
      payload: req("UpdateGpu", gpu("gpu-0", "GPU-0", { resourceVersion: -1 })),
      code: INVALID,
      details: /^gpu\.resource_version: /,
    },
  ];
}

// Unknown fields of every wire type, for any level of a message.
const JUNK = [
  varint(99, 7),
  len(100, "junk"),
  fixed32(101, 1),
  fixed64(102, 2),
  group(103, [
    varint(1, 1),
    len(2, "in a group"),
  ]),
];

/** Unknown fields at every level: accepted, ignored, same response as without them. */
export function unknownFields(): Case[] {
  const ok = (method: Method, clean: Uint8Array, dirty: Uint8Array, code = status.OK): Case => ({
    name: `${method} with unknown fields`,
    method,
    payload: dirty,
    code,
    sameAs: code === status.OK && method !== "WatchGpus" ? clean : undefined,
  });
  const entry = (k: string, v: string) => [len(1, k), len(2, v), ...JUNK];
  const cond = GPU0.conditions[0]!;
  const condition = len(1, [
    len(1, cond.type),
    len(2, cond.status),
    len(4, cond.reason),
    len(5, cond.message),
    ...JUNK,
  ]);
  const metadata = len(1, [
    len(1, "gpu-0"),
    ...JUNK,
    len(7, entry("zone", GPU0.labels.zone)),
    len(8, entry("note", GPU0.annotations.note)),
  ]);
  const spec = len(2, [len(1, "GPU-0"), ...JUNK]);
  const status_ = len(3, [condition, ...JUNK]);
  const seeded = gpu("gpu-0", "GPU-0", {
    metadata: { labels: GPU0.labels, annotations: GPU0.annotations },
    status: { conditions: GPU0.conditions },
  });
  return [
    ok(
      "GetGpu",
      req("GetGpu", { name: "gpu-0" }),
      concat([...JUNK, len(1, "gpu-0"), len(2, [...JUNK]), ...JUNK]),
    ),
    ok("ListGpus", new Uint8Array(0), concat([len(1, JUNK), ...JUNK])),
    ok("WatchGpus", new Uint8Array(0), concat([len(1, JUNK), ...JUNK])),
    ok("CreateGpu", req("CreateGpu", seeded), len(1, [metadata, spec, status_, ...JUNK])),
    ok("UpdateGpu", req("UpdateGpu", seeded), len(1, [metadata, spec, ...JUNK])),
    ok(
      "UpdateGpuStatus",
      req("UpdateGpuStatus", { name: "gpu-0", status: { conditions: GPU0.conditions } }),
      concat([len(1, "gpu-0"), ...JUNK, len(2, [condition, ...JUNK])]),
    ),
    ok(
      "DeleteGpu",
      req("DeleteGpu", { name: "gpu-404" }),
      concat([len(1, "gpu-404"), ...JUNK]),
      status.NOT_FOUND,
    ),
  ];
}
