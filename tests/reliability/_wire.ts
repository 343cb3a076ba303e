/**
 * Raw protobuf wire helpers for the reliability tests: a seeded PRNG, field
 * writers that can put any wire type on any field, payload mutators, and a
 * cheap reader of a watch event's resource version.
 *
 * @module
 */
import protobuf from "protobufjs";
import { messageType, PACKAGE } from "../../src/api/mod.ts";

/** Protobuf wire types. */
export const WT = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** A deterministic PRNG (mulberry32), so every failing case reproduces from its seed. */
export class Prng {
  #state: number;

  /** Creates a generator from a 32-bit seed. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** One encoded field: tag and payload, in the given wire type. */
export type Field = Uint8Array;

function tag(w: protobuf.Writer, no: number, wt: number): protobuf.Writer {
  return w.uint32(((no << 3) | wt) >>> 0);
}

/** A varint field. */
export function varint(no: number, value: number | bigint): Field {
  const w = tag(protobuf.Writer.create(), no, WT.VARINT);
  if (typeof value === "bigint") w.int64(protobuf.util.LongBits.from(value.toString()).toLong());
  else w.int64(value);
  return w.finish();
}

/** A length-delimited field holding bytes, a string or nested fields. */
export function len(no: number, value: string | Uint8Array | Field[]): Field {
  const body = typeof value === "string"
    ? new TextEncoder().encode(value)
    : Array.isArray(value)
    ? concat(value)
    : value;
  return tag(protobuf.Writer.create(), no, WT.LEN).bytes(body).finish();
}

/** A fixed 32-bit field. */
export function fixed32(no: number, value: number): Field {
  return tag(protobuf.Writer.create(), no, WT.I32).fixed32(value).finish();
}

/** A fixed 64-bit field. */
export function fixed64(no: number, value: number): Field {
  return tag(protobuf.Writer.create(), no, WT.I64).fixed64(value).finish();
}

/** A group field (deprecated wire types 3 and 4) wrapping nested fields. */
export function group(no: number, inner: Field[]): Field {
  const start = tag(protobuf.Writer.create(), no, WT.SGROUP).finish();
  const end = tag(protobuf.Writer.create(), no, WT.EGROUP).finish();
  return concat([start, ...inner, end]);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The request message type of a GpuService method. */
export function requestType(method: string): protobuf.Type {
  return messageType(`${PACKAGE}.${method}Request`);
}

/** Encodes a plain object as a message of the contract (camelCase keys). */
export function encode(typeName: string, value: Record<string, unknown>): Uint8Array {
  const type = messageType(`${PACKAGE}.${typeName}`);
  return type.encode(type.fromObject(value)).finish();
}

/** A random mutation of `base`: bit flips, byte edits, insertions, deletions, splices, truncation. */
export function mutate(rng: Prng, base: Uint8Array): Uint8Array {
  const out = [...base];
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(out.length + 1);
    switch (rng.int(6)) {
      case 0:
        if (out.length) out[at % out.length]! ^= 1 << rng.int(8);
        break;
      case 1:
        if (out.length) out[at % out.length] = rng.int(256);
        break;
      case 2:
        out.splice(at, 0, ...rng.bytes(1 + rng.int(8)));
        break;
      case 3:
        out.splice(at, 1 + rng.int(8));
        break;
      case 4: // duplicate a slice (repeated fields, overlong lengths)
        out.splice(at, 0, ...out.slice(rng.int(out.length + 1), at));
        break;
      default:
        out.length = Math.min(out.length, at);
    }
  }
  return Uint8Array.from(out);
}

const STRINGS = [
  "",
  "-",
  "gpu-0",
  "gpu-1",
  "GPU-0",
  "default",
  "other",
  "Bad_NS",
  "x".repeat(300),
  "g\u00fc",
  "a b",
  "x/y",
  "1",
  "-1",
  "99999999999999999999",
  "zone=(",
  "True",
  "Maybe",
  "\u0000",
];
const NUMBERS = [0, 1, -1, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e12, 253402300800];

/**
 * A structure-preserving mutation of `base`, a message of `type`: one leaf
 * value replaced by an edge case, or one array element duplicated or
 * multiplied, so the request reaches validation instead of the decoder.
 */
export function mutateFields(rng: Prng, type: protobuf.Type, base: Uint8Array): Uint8Array {
  const value = type.toObject(type.decode(base), { longs: Number }) as Record<string, unknown>;
  const leaves: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((
        v,
        i,
      ) => (v !== null && typeof v === "object" ? walk(v) : leaves.push([node, i])));
    } else if (node !== null && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if (v !== null && typeof v === "object") walk(v);
        else leaves.push([node as Record<string, unknown>, k]);
      }
    }
  };
  walk(value);
  const arrays = collectArrays(value);
  if (arrays.length && rng.int(4) === 0) {
    const array = rng.pick(arrays);
    const copies = rng.pick([1, 40]);
    for (let i = 0; i < copies && array.length; i++) array.push(structuredClone(array[0]));
  } else if (leaves.length) {
    const [node, key] = rng.pick(leaves);
    const old = (node as Record<string | number, unknown>)[key];
    (node as Record<string | number, unknown>)[key] = typeof old === "string"
      ? rng.pick(STRINGS)
      : typeof old === "boolean"
      ? !old
      : rng.pick(NUMBERS);
  }
  return type.encode(type.fromObject(value)).finish();
}

function collectArrays(node: unknown, out: unknown[][] = []): unknown[][] {
  if (Array.isArray(node)) {
    out.push(node);
    for (const v of node) collectArrays(v, out);
  } else if (node !== null && typeof node === "object") {
    for (const v of Object.values(node)) collectArrays(v, out);
  }
  return out;
}

/**
 * The resource version of a WatchGpusResponse (`object.resource_version`,
 * or the BOOKMARK's `metadata.resource_version`), without a full decode.
 */
export function eventVersion(bytes: Uint8Array): { type: string; version: number } {
  const r = protobuf.Reader.create(bytes);
  let type = "";
  let version = 0;
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t === 10) type = r.string();
    else if (t === 18) {
      const end = r.uint32() + r.pos;
      while (r.pos < end) {
        const g = r.uint32();
        if (g === 32) version = Number(r.int64());
        else if (g === 10 && type === "BOOKMARK") version = metaVersion(r, r.uint32() + r.pos);
        else r.skipType(g & 7);
      }
    } else r.skipType(t & 7);
  }
  return { type, version };
}

function metaVersion(r: protobuf.Reader, end: number): number {
  let version = 0;
  while (r.pos < end) {
    const t = r.uint32();
    if (t === 18) version = Number(r.string());
    else r.skipType(t & 7);
  }
  return version;
}

/** The list's `gpu_list.metadata.resource_version` of a raw ListGpusResponse. */
export function listVersion(bytes: Uint8Array): number {
  const type = messageType(`${PACKAGE}.ListGpusResponse`);
  const list = type.toObject(type.decode(bytes)) as {
    gpuList?: { metadata?: { resourceVersion?: string } };
  };
  return Number(list.gpuList?.metadata?.resourceVersion ?? 0);
}
