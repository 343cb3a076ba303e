/**
 * wireProblem(): the structural check that runs before the lenient
 * protobufjs decoder, without a server.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { wireProblem } from "../../src/api/mod.ts";
import {
  concat,
  encode,
  fixed32,
  fixed64,
  group,
  len,
  mutate,
  Prng,
  requestType,
  varint,
} from "./_wire.ts";

const FULL_CREATE = {
  gpu: {
    metadata: {
      name: "gpu-0",
      resourceVersion: "7",
      namespace: "default",
      uid: "u",
      generation: 2,
      creationTimestamp: { seconds: 1700000000, nanos: 5 },
      labels: { zone: "a", "example.com/pool": "x" },
      annotations: { note: "ünïcödé" },
    },
    spec: { uuid: "GPU-0", productName: "H100", index: 3, memoryTotalBytes: 2 ** 40 },
    status: {
      conditions: [{
        type: "Ready",
        status: "True",
        lastTransitionTime: { seconds: 1, nanos: 2 },
        observedGeneration: 2,
      }],
      recommendedAction: "none",
    },
    resourceVersion: 7,
  },
};

Deno.test("wireProblem() accepts every field of the contract and unknown fields", () => {
  const create = requestType("CreateGpu");
  assert.equal(wireProblem(create, encode("CreateGpuRequest", FULL_CREATE)), null);
  assert.equal(wireProblem(create, new Uint8Array(0)), null);
  const unknown = concat([
    varint(99, -1),
    len(100, "x"),
    fixed32(101, 1),
    fixed64(102, 1),
    group(103, [group(1, [varint(2, 3)]), len(4, "y")]),
  ]);
  assert.equal(wireProblem(create, concat([unknown, len(1, [unknown]), unknown])), null);
});

Deno.test("wireProblem() names the field of a wrong wire type, however deep", () => {
  const create = requestType("CreateGpu");
  assert.match(
    wireProblem(create, len(1, [len(3, [len(1, [len(3, [len(1, "not a varint")])])])]))!,
    /^field gpu\.status\.conditions\.last_transition_time\.seconds: wire type length-delimited, expected varint$/,
  );
  assert.match(
    wireProblem(requestType("DeleteGpu"), varint(1, 5))!,
    /^field name: wire type varint, expected length-delimited$/,
  );
  assert.match(
    wireProblem(create, len(1, [len(1, [len(7, [varint(1, 1)])])]))!,
    /^field gpu\.metadata\.labels\.key: wire type varint/,
  );
});

Deno.test("wireProblem() rejects a string cut short, which the Buffer reader would clamp", () => {
  const del = requestType("DeleteGpu");
  const cut = len(1, "gpu-10").subarray(0, 6); // declares 6 bytes, holds 4
  assert.match(wireProblem(del, cut)!, /^field name: length 6 runs past the end/);
  // The lenient decoder reads it as a valid request for another object.
  assert.equal((del.decode(Buffer.from(cut)) as unknown as { name: string }).name, "gpu-");
});

Deno.test("wireProblem() rejects field 0, bad wire types, bad groups and bad UTF-8", () => {
  const get = requestType("GetGpu");
  const name = len(1, "gpu-0");
  const problems: [Uint8Array, RegExp][] = [
    [varint(0, 1), /invalid field number 0/],
    [Uint8Array.of(0x7e, 1), /unknown field 15: invalid wire type 6/],
    [Uint8Array.of(0x7c), /end-group without a start-group/],
    [Uint8Array.of(0x7b, 0x08), /group is not terminated|value is truncated|index out of range/],
    [Uint8Array.of(0x7b, 0x84, 0x01), /group ends with field 16/],
    [new Uint8Array(40).fill(0x7b), /nested too deeply/],
    [Uint8Array.of(0x78, ...new Array(10).fill(0xff), 1), /invalid varint encoding/],
    [Uint8Array.of(0x7d, 1, 2), /value is truncated/],
    [len(1, Uint8Array.of(0xed, 0xa0, 0x80)), /field name: string is not valid UTF-8/],
  ];
  for (const [bytes, expected] of problems) {
    assert.match(wireProblem(get, concat([name, bytes])) ?? "(accepted)", expected);
  }
});

Deno.test("wireProblem() passes only bytes that the strict and lenient decoders read alike", () => {
  const rng = new Prng(7);
  const create = requestType("CreateGpu");
  const base = encode("CreateGpuRequest", FULL_CREATE);
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = mutate(rng, base);
    if (wireProblem(create, bytes) !== null) continue;
    accepted++;
    const strict = create.toObject(create.decode(new Uint8Array(bytes)));
    const lenient = create.toObject(create.decode(Buffer.from(bytes)));
    assert.deepEqual(lenient, strict, `mutation ${i} decodes differently`);
  }
  assert.ok(accepted > 0, "some mutations stay well-formed");
});
