/** ConnectionHeldBytes: what each stream has received of an unfinished message, and the bound over all connections. */
import assert from "node:assert/strict";
import { type ConnectionHeldBytes, HeldBytesBudget } from "../../src/server/held_bytes.ts";
import { concat as concatAll } from "../reliability/_wire.ts";

const concat = (...parts: Uint8Array[]) => concatAll(parts);

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const END_STREAM = 0x1;
const PADDED = 0x8;

function frame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out.set([payload.length >> 16, (payload.length >> 8) & 0xff, payload.length & 0xff, type, flags]);
  new DataView(out.buffer).setUint32(5, stream);
  out.set(payload, 9);
  return out;
}

// A gRPC message prefix declaring `length` bytes, then `body` bytes of it.
function message(length: number, body: number): Uint8Array {
  const out = new Uint8Array(5 + body);
  new DataView(out.buffer).setUint32(1, length);
  return out;
}

function setup(maxBytes = 1 << 20, maxMessageBytes = 1 << 20) {
  const evicted: number[] = [];
  const budget = new HeldBytesBudget(maxBytes, maxMessageBytes, (b) => evicted.push(b));
  const closed: string[] = [];
  const connection = (name: string): ConnectionHeldBytes => {
    const c = budget.track(name, () => closed.push(name));
    c.scan(PREFACE);
    return c;
  };
  return { budget, evicted, closed, connection };
}

Deno.test("ConnectionHeldBytes counts a message's bytes until it completes, however the frames are split", () => {
  const { budget, connection } = setup();
  const c = connection("a");
  const bytes = concat(
    frame(HEADERS, 0x4, 1, new Uint8Array(3)),
    frame(DATA, 0, 1, message(100, 40)),
  );
  // One byte at a time: headers and prefixes cross every chunk boundary.
  for (const b of bytes) c.scan(Uint8Array.of(b));
  assert.equal(c.bytes, 45, "the prefix and 40 body bytes");
  assert.equal(budget.bytes, 45);
  c.scan(frame(DATA, 0, 1, new Uint8Array(60)));
  assert.equal(c.bytes, 0, "complete: grpc-js has it whole");
  // The next message on the same stream starts from its prefix again.
  c.scan(frame(DATA, 0, 1, message(10, 2)));
  assert.equal(c.bytes, 7);
});

Deno.test("ConnectionHeldBytes lets go of a stream's bytes at END_STREAM, RST_STREAM and close", () => {
  const { budget, connection } = setup();
  const c = connection("a");
  c.scan(frame(DATA, END_STREAM, 1, message(100, 10)));
  assert.equal(c.bytes, 0, "ended mid-message: grpc-js drops it");
  c.scan(frame(DATA, 0, 3, message(100, 10)));
  c.scan(frame(DATA, 0, 5, message(100, 20)));
  assert.equal(c.bytes, 40);
  c.scan(frame(RST_STREAM, 0, 3, new Uint8Array(4)));
  assert.equal(c.bytes, 25);
  c.scan(frame(HEADERS, END_STREAM | 0x4, 5, new Uint8Array(3)));
  assert.equal(c.bytes, 0);
  c.scan(frame(DATA, 0, 7, message(100, 10)));
  c.release();
  assert.equal(budget.bytes, 0);
});

Deno.test("ConnectionHeldBytes skips padding and does not count a message over the receive limit", () => {
  const { connection } = setup(1 << 20, 1000);
  const c = connection("a");
  // Pad length 7, five message bytes (a prefix), seven bytes of padding.
  c.scan(frame(DATA, PADDED, 1, concat(Uint8Array.of(7), message(50, 0), new Uint8Array(7))));
  assert.equal(c.bytes, 5);
  c.scan(frame(DATA, 0, 1, new Uint8Array(50)));
  assert.equal(c.bytes, 0, "the padding was not taken for message bytes");
  // grpc-js refuses a declared length over its limit before buffering any of it.
  c.scan(frame(DATA, 0, 3, message(5000, 100)));
  assert.equal(c.bytes, 5, "its prefix only");
});

Deno.test("HeldBytesBudget closes the connection holding the most when the total passes the bound", () => {
  const { budget, evicted, closed, connection } = setup(1000);
  const small = connection("small");
  const large = connection("large");
  small.scan(frame(DATA, 0, 1, message(10_000, 195)));
  large.scan(frame(DATA, 0, 1, message(10_000, 700)));
  assert.deepEqual(closed, []);
  large.scan(frame(DATA, 0, 3, message(10_000, 200)));
  assert.deepEqual(closed, ["large"]);
  assert.deepEqual(evicted, [910]);
  assert.equal(budget.bytes, 200, "the small one still counts");
  large.scan(frame(DATA, 0, 5, message(10_000, 900)));
  assert.equal(budget.bytes, 200, "a closed connection's later bytes do not count");
});

Deno.test("HeldBytesBudget counts unread responses with the requests, per connection, found by peer", () => {
  const { budget, evicted, closed, connection } = setup(1000);
  const a = connection("unix-socket#1");
  const b = connection("unix-socket#2");
  assert.equal(budget.connection("unix-socket#2"), b);
  assert.equal(budget.connection("unix-socket#3"), undefined);
  a.scan(frame(DATA, 0, 1, message(10_000, 95)));
  b.holdResponse(600);
  assert.equal(budget.bytes, 700);
  b.holdResponse(-600); // sent
  b.holdResponse(800);
  assert.deepEqual(closed, []);
  a.holdResponse(200); // 100 + 800 + 200: over the bound; b holds the most
  assert.deepEqual(closed, ["unix-socket#2"]);
  assert.deepEqual(evicted, [800]);
  assert.ok(b.closed && !a.closed);
  assert.equal(budget.connection("unix-socket#2"), undefined);
  b.holdResponse(-800); // its calls end later: nothing to give back twice
  assert.equal(budget.bytes, 300);
});
