/**
 * Wire-level cases of the bad-input corpus: truncation, oversize, wrong wire
 * types and structural damage.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { type Case, MAX_MESSAGE, type Method } from "./_corpus.ts";
import { concat, encode, type Field, fixed32, fixed64, group, len, varint, WT } from "./_wire.ts";

const MALFORMED = /malformed message/;
const EMPTY = new Uint8Array(0);
const INVALID = status.INVALID_ARGUMENT;

function req(type: string, value: Record<string, unknown>): Uint8Array {
  return encode(`${type}Request`, value);
}

/** Requests with top-level fields, cut at every length; see {@linkcode truncations}. */
interface TruncationBase {
  method: Method;
  fields: Field[];
  /** Status of a prefix that ends after `complete` whole top-level fields. */
  expect: (complete: number) => [status, RegExp];
}

const TRUNCATION_BASES: TruncationBase[] = [
  {
    method: "GetGpu",
    fields: [len(1, "gpu-10"), len(2, [len(2, "default")])],
    expect: (n) => (n === 0 ? [INVALID, /name is required/] : [status.OK, /^$/]),
  },
  {
    method: "ListGpus",
    fields: [len(1, [len(2, "default"), len(4, "zone in (a,b)")])],
    expect: () => [status.OK, /^$/],
  },
  {
    method: "WatchGpus",
    fields: [len(1, [len(1, "1"), len(2, "default")])],
    expect: (n) => (n === 0 ? [status.OK, /^$/] : [status.OUT_OF_RANGE, /too old/]),
  },
  {
    method: "CreateGpu",
    fields: [req("CreateGpu", {
      gpu: { metadata: { name: "gpu-0", labels: { zone: "a" } }, spec: { uuid: "GPU-other" } },
    })],
    expect: (n) => (n === 0 ? [INVALID, /gpu\.metadata\.name/] : [status.ALREADY_EXISTS, /GPU-0/]),
  },
  {
    method: "UpdateGpu",
    fields: [req("UpdateGpu", {
      gpu: { metadata: { name: "gpu-0", resourceVersion: "1" }, spec: { uuid: "GPU-0" } },
    })],
    expect: (n) => (n === 0 ? [INVALID, /gpu\.metadata\.name/] : [status.ABORTED, /conflict/]),
  },
  {
    // The version goes first, so every well-formed prefix that names the GPU is a conflict.
    method: "UpdateGpuStatus",
    fields: [
      varint(3, 1),
      len(1, "gpu-10"),
      len(2, [len(1, [len(1, "Ready"), len(2, "False")])]),
    ],
    expect: (n) => (n < 2 ? [INVALID, /name is required/] : [status.ABORTED, /conflict/]),
  },
  {
    // Cut inside the name, a lenient decoder would read "gpu-10" or "gpu-1" and delete it.
    method: "DeleteGpu",
    fields: [len(1, "gpu-100")],
    expect: (n) => (n === 0 ? [INVALID, /name is required/] : [status.NOT_FOUND, /gpu-100/]),
  },
];

/** Every prefix of every truncation base. */
export function truncations(): Case[] {
  const cases: Case[] = [];
  for (const base of TRUNCATION_BASES) {
    const full = concat(base.fields);
    const boundaries = new Map<number, number>();
    let at = 0;
    base.fields.forEach((f, i) => boundaries.set(at += f.length, i + 1));
    boundaries.set(0, 0);
    for (let k = 0; k <= full.length; k++) {
      const complete = boundaries.get(k);
      const [code, details] = complete === undefined ? [INVALID, MALFORMED] : base.expect(complete);
      cases.push({
        name: `${base.method} truncated to ${k} of ${full.length} bytes`,
        method: base.method,
        payload: full.subarray(0, k),
        code,
        details,
      });
    }
  }
  return cases;
}

/** Each method with no request bytes at all. */
export function emptyRequests(): Case[] {
  const expect: [Method, status, RegExp][] = [
    ["GetGpu", INVALID, /^name: name is required/],
    ["ListGpus", status.OK, /^$/],
    ["WatchGpus", status.OK, /^$/],
    ["CreateGpu", INVALID, /^gpu\.metadata\.name: name is required/],
    ["UpdateGpu", INVALID, /^gpu\.metadata\.name: name is required/],
    ["UpdateGpuStatus", INVALID, /^name: name is required/],
    ["DeleteGpu", INVALID, /^name: name is required/],
  ];
  return expect.map(([method, code, details]) => ({
    name: `${method} with an empty request`,
    method,
    payload: EMPTY,
    code,
    details,
  }));
}

/** Each method with a request just over `--max-message-bytes`. */
export function oversize(): Case[] {
  const pad = len(1000, new Uint8Array(MAX_MESSAGE));
  const valid: [Method, Uint8Array][] = [
    ["GetGpu", req("GetGpu", { name: "gpu-0" })],
    ["ListGpus", EMPTY],
    ["WatchGpus", EMPTY],
    ["CreateGpu", req("CreateGpu", { gpu: { metadata: { name: "big" }, spec: { uuid: "B" } } })],
    ["UpdateGpu", req("UpdateGpu", { gpu: { metadata: { name: "gpu-0" }, spec: { uuid: "X" } } })],
    ["UpdateGpuStatus", req("UpdateGpuStatus", { name: "gpu-0" })],
    ["DeleteGpu", req("DeleteGpu", { name: "gpu-0" })],
  ];
  return valid.map(([method, payload]) => ({
    name: `${method} with a ${payload.length + pad.length}-byte request`,
    method,
    payload: concat([payload, pad]),
    code: status.RESOURCE_EXHAUSTED,
    details: /larger than max/,
  }));
}

/** A known field sent with a wire type other than its own. */
export function wrongWireTypes(): Case[] {
  // [method, field path in errors, builder of the request around the bad field]
  const shapes: [Method, string, number, (bad: Field) => Uint8Array][] = [
    ["GetGpu", "name", WT.LEN, (f) => concat([f, len(2, [len(2, "default")])])],
    ["GetGpu", "opts", WT.LEN, (f) => concat([len(1, "gpu-0"), f])],
    ["GetGpu", "opts.namespace", WT.LEN, (f) => concat([len(1, "gpu-0"), len(2, [f])])],
    ["ListGpus", "opts", WT.LEN, (f) => f],
    ["ListGpus", "opts.allow_watch_bookmarks", WT.VARINT, (f) => len(1, [f])],
    ["WatchGpus", "opts.resource_version", WT.LEN, (f) => len(1, [f, len(2, "default")])],
    ["CreateGpu", "gpu", WT.LEN, (f) => f],
    ["CreateGpu", "gpu.metadata.name", WT.LEN, (f) => createWith([f], [len(1, "GPU-n")])],
    ["CreateGpu", "gpu.metadata.labels", WT.LEN, (f) => createWith([len(1, "n"), f], [])],
    [
      "CreateGpu",
      "gpu.metadata.labels.value",
      WT.LEN,
      (f) => createWith([len(1, "n"), len(7, [len(1, "zone"), f])], [len(1, "GPU-n")]),
    ],
    ["CreateGpu", "gpu.spec.index", WT.VARINT, (f) => createWith([len(1, "n")], [len(1, "U"), f])],
    [
      "CreateGpu",
      "gpu.resource_version",
      WT.VARINT,
      (f) => len(1, [len(1, [len(1, "n")]), len(2, [len(1, "U")]), f]),
    ],
    ["UpdateGpu", "gpu.spec", WT.LEN, (f) => len(1, [len(1, [len(1, "gpu-0")]), f])],
    ["UpdateGpuStatus", "resource_version", WT.VARINT, (f) => concat([len(1, "gpu-0"), f])],
    ["UpdateGpuStatus", "status.conditions", WT.LEN, (f) => concat([len(1, "gpu-0"), len(2, [f])])],
    [
      "UpdateGpuStatus",
      "status.conditions.last_transition_time.seconds",
      WT.VARINT,
      (f) =>
        concat([len(1, "gpu-0"), len(2, [len(1, [len(1, "Ready"), len(2, "True"), len(3, [f])])])]),
    ],
    ["DeleteGpu", "name", WT.LEN, (f) => f],
  ];
  const fieldNo: Record<string, number> = {
    "name": 1,
    "opts": 2,
    "opts.namespace": 2,
    "opts.allow_watch_bookmarks": 3,
    "opts.resource_version": 1,
    "gpu": 1,
    "gpu.metadata.name": 1,
    "gpu.metadata.labels": 7,
    "gpu.metadata.labels.value": 2,
    "gpu.spec.index": 4,
    "gpu.resource_version": 4,
    "gpu.spec": 2,
    "resource_version": 3,
    "status.conditions": 1,
    "status.conditions.last_transition_time.seconds": 1,
  };
  const cases: Case[] = [];
  for (const [method, path, own, build] of shapes) {
    const no = method === "ListGpus" || method === "WatchGpus"
      ? (path === "opts" ? 1 : fieldNo[path]!)
      : fieldNo[path]!;
    for (const wt of [WT.VARINT, WT.I64, WT.LEN, WT.SGROUP, WT.I32]) {
      if (wt === own) continue;
      cases.push({
        name: `${method} with ${path} in wire type ${wt}`,
        method,
        payload: build(wrongField(no, wt)),
        code: INVALID,
        details: new RegExp(`malformed message: field ${path.replaceAll(".", "\\.")}: wire type`),
      });
    }
  }
  return cases;
}

function wrongField(no: number, wt: number): Field {
  switch (wt) {
    case WT.VARINT:
      return varint(no, 5);
    case WT.I64:
      return fixed64(no, 0x302d7567);
    case WT.LEN:
      return len(no, [len(1, "gpu-0")]);
    case WT.SGROUP:
      return group(no, [varint(1, 1)]);
    default:
      return fixed32(no, 0x302d7567); // "gu-0" as bytes
  }
}

function createWith(meta: Field[], spec: Field[]): Uint8Array {
  return len(1, [len(1, meta), len(2, spec)]);
}

/** Structural damage that no lenient reading may turn into a request. */
export function structural(): Case[] {
  const name = len(1, "gpu-0");
  const bad = (label: string, method: Method, payload: Uint8Array, details: RegExp): Case => ({
    name: `${method} with ${label}`,
    method,
    payload,
    code: INVALID,
    details,
  });
  return [
    bad("field number 0", "GetGpu", concat([name, varint(0, 1)]), /invalid field number 0/),
    bad("wire type 6", "GetGpu", concat([name, Uint8Array.of(0x7e, 1)]), /invalid wire type 6/),
    bad("wire type 7", "ListGpus", Uint8Array.of(0x7f, 1), /invalid wire type 7/),
    bad("a stray end-group", "DeleteGpu", concat([name, Uint8Array.of(0x7c)]), /end-group/),
    bad("an unterminated group", "GetGpu", concat([name, Uint8Array.of(0x7b)]), /not terminated/),
    bad(
      "a group closed by another field",
      "GetGpu",
      concat([name, Uint8Array.of(0x7b, 0x84, 0x01)]),
      /group ends with field 16/,
    ),
    bad(
      "unknown groups nested 5000 deep",
      "GetGpu",
      concat([name, new Uint8Array(5000).fill(0x7b)]),
      /nested too deeply/,
    ),
    bad(
      "an 11-byte varint",
      "UpdateGpuStatus",
      concat([name, Uint8Array.of(0x18, ...new Array(10).fill(0xff), 0x01)]),
      /malformed message/,
    ),
    bad(
      "a nested length past its parent",
      "CreateGpu",
      len(1, concat([Uint8Array.of(0x0a, 0x40), len(1, "n")])),
      /length 64 runs past the end/,
    ),
    bad(
      "a string that is not UTF-8",
      "DeleteGpu",
      len(1, Uint8Array.of(0x67, 0xff, 0x30)),
      /field name: string is not valid UTF-8/,
    ),
    bad(
      "an annotation that is not UTF-8",
      "UpdateGpu",
      len(1, [len(1, [len(1, "gpu-0"), len(8, [len(1, "k"), len(2, Uint8Array.of(0xc3))])])]),
      /gpu\.metadata\.annotations\.value: string is not valid UTF-8/,
    ),
  ];
}
