/** GoawayFilter: the client's GOAWAY frames are neutralized in place, nothing else is touched. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  CLIENT_PREFACE_LENGTH,
  GOAWAY_REPLACEMENT_TYPE,
  GOAWAY_TYPE,
  GoawayFilter,
} from "../../src/server/goaway_filter.ts";

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const DATA = 0x0, HEADERS = 0x1, SETTINGS = 0x4, PING = 0x6, WINDOW_UPDATE = 0x8;

function frame(type: number, stream: number, payload: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out.set([payload.length >> 16, (payload.length >> 8) & 0xff, payload.length & 0xff]);
  out[3] = type;
  out[4] = flags;
  new DataView(out.buffer).setUint32(5, stream);
  out.set(payload, 9);
  return out;
}

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

const goaway = (code: number) => frame(GOAWAY_TYPE, 0, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, code));
// Payloads full of 0x07: a filter that lost its place in the stream would rewrite one of them.
const sevens = (n: number) => new Uint8Array(n).fill(GOAWAY_TYPE);

/** A client's session: preface, settings, two calls, a ping, then a GOAWAY. */
function session(): { bytes: Uint8Array; goawayTypeAt: number[] } {
  const parts = [
    PREFACE,
    frame(SETTINGS, 0, sevens(12)),
    frame(HEADERS, 1, sevens(40), 0x4),
    frame(DATA, 1, sevens(70_000 & 0xffff), 0x1),
    frame(WINDOW_UPDATE, 0, Uint8Array.of(0, 0, 7, 7)),
    frame(HEADERS, 3, sevens(7), 0x4),
    frame(DATA, 3, new Uint8Array(0), 0x1),
    frame(PING, 0, sevens(8)),
    goaway(0),
  ];
  const bytes = concat(...parts);
  return { bytes, goawayTypeAt: [bytes.length - 17 + 3] };
}

function expected(bytes: Uint8Array, goawayTypeAt: number[]): Uint8Array {
  const out = bytes.slice();
  for (const at of goawayTypeAt) out[at] = GOAWAY_REPLACEMENT_TYPE;
  return out;
}

Deno.test("GoawayFilter.scan() rewrites the type of the client's GOAWAY and nothing else", () => {
  const { bytes, goawayTypeAt } = session();
  const want = expected(bytes, goawayTypeAt);
  assert.equal(new GoawayFilter().scan(bytes), 1);
  assert.deepEqual(bytes, want);
});

Deno.test("GoawayFilter.scan() finds its way however the stream is split into chunks", () => {
  const { bytes, goawayTypeAt } = session();
  const want = expected(bytes, goawayTypeAt);
  // Every split into two chunks near the frame headers, and single bytes throughout.
  const splits = [...Array(bytes.length + 1).keys()].filter((s) =>
    s < 120 || s > bytes.length - 60
  );
  for (const at of splits) {
    const copy = bytes.slice();
    const filter = new GoawayFilter();
    const found = filter.scan(copy.subarray(0, at)) + filter.scan(copy.subarray(at));
    assert.equal(found, 1, `split at ${at}`);
    assert.deepEqual(copy, want, `split at ${at}`);
  }
  const copy = bytes.slice();
  const filter = new GoawayFilter();
  let found = 0;
  for (let i = 0; i < copy.length; i++) found += filter.scan(copy.subarray(i, i + 1));
  assert.equal(found, 1);
  assert.deepEqual(copy, want);
});

Deno.test("GoawayFilter.scan() neutralizes every GOAWAY, with any error code", () => {
  const bytes = concat(PREFACE, goaway(0), frame(PING, 0, sevens(8)), goaway(2), goaway(7));
  const headers = [
    CLIENT_PREFACE_LENGTH,
    CLIENT_PREFACE_LENGTH + 17 + 17,
    CLIENT_PREFACE_LENGTH + 51,
  ];
  const want = expected(bytes, headers.map((h) => h + 3));
  assert.equal(new GoawayFilter().scan(bytes), 3);
  assert.deepEqual(bytes, want);
});

Deno.test("GoawayFilter.scan() leaves a preface-only or empty chunk alone", () => {
  const filter = new GoawayFilter();
  const preface = PREFACE.slice();
  assert.equal(filter.scan(new Uint8Array(0)), 0);
  assert.equal(filter.scan(preface), 0);
  assert.deepEqual(preface, PREFACE);
});
