/**
 * What the load generator sends and how it reads replies cheaply: a grpc-js
 * client whose responses stay raw bytes, requests encoded ahead of time, and
 * a field scanner that finds a Gpu's resource version without decoding it.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Buffer } from "node:buffer";
import {
  asBuffer,
  type DeepPartial,
  type Gpu,
  GPU_SERVICE,
  type GpuStatus,
  messageType,
  PACKAGE,
  serviceDefinition,
} from "../src/api/mod.ts";

/** Metadata key that names a writer (the contract's provider identity). */
const PROVIDER_KEY = "x-device-api-provider";

/** The GpuService definition with every response left undecoded. */
export function rawDefinition(): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(serviceDefinition(GPU_SERVICE))) {
    definition[name] = { ...method, responseDeserialize: (bytes: Buffer) => bytes };
  }
  return definition;
}

const RawClient = grpc.makeGenericClientConstructor(rawDefinition(), "GpuService");

/** A unary method called with pre-encoded bytes, answering raw bytes. */
export type RawUnary = (
  request: Uint8Array,
  metadata: grpc.Metadata,
  callback: (err: grpc.ServiceError | null, response?: Buffer) => void,
) => void;

/** A client on its own connection (no shared subchannel pool). */
export interface RawClientHandle {
  client: grpc.Client;
  unary(method: string): RawUnary;
  watch(request: Uint8Array): grpc.ClientReadableStream<Buffer>;
}

/** Opens a raw client; each one gets its own HTTP/2 connection. */
export function rawClient(socket: string): RawClientHandle {
  const client = new RawClient(`unix://${socket}`, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  const methods = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  return {
    client,
    unary: (method) => methods[method]!.bind(client) as unknown as RawUnary,
    watch: (request) =>
      methods.WatchGpus!.call(client, request, new grpc.Metadata()) as grpc.ClientReadableStream<
        Buffer
      >,
  };
}

/** Metadata naming the benchmark's writer. */
export function writerMetadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(PROVIDER_KEY, "bench");
  return md;
}

/** Encodes a request message of the contract from a plain object. */
export function encodeRequest(type: string, value: Record<string, unknown>): Buffer {
  const t = messageType(`${PACKAGE}.${type}`);
  return asBuffer(t.encode(t.fromObject(value)).finish());
}

/** Name of the benchmark's GPU number `i`. */
export function gpuName(i: number): string {
  return `gpu-${i}`;
}

/** A GPU as a node's provider would register it: full spec, labels, three conditions. */
export function benchGpu(i: number): DeepPartial<Gpu> {
  return {
    metadata: {
      name: gpuName(i),
      labels: { "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.index": `${i}` },
    },
    spec: {
      uuid: `GPU-8f3e2a1c-5b7d-4e9f-a2c6-${(0x1000_0000_0000 + i).toString(16)}`,
      productName: "NVIDIA H100 80GB HBM3",
      pciBusId: `00000000:${(0x18 + i * 0x10).toString(16).toUpperCase()}:00.0`,
      index: i,
      minorNumber: i,
      memoryTotalBytes: 85_899_345_920,
      serial: `${1_650_323_001_000 + i}`,
    },
    status: benchStatus(0),
  };
}

/** A status whose Ready message changes with `seq`, so that every update is a real change. */
export function benchStatus(seq: number): DeepPartial<GpuStatus> {
  return {
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "DriverHealthy",
        message: `health check ${seq} passed`,
      },
      { type: "MemoryHealthy", status: "True", reason: "NoEccErrors", message: "no ECC errors" },
      { type: "ThermalNormal", status: "True", reason: "BelowSlowdown", message: "62 C" },
    ],
    recommendedAction: "",
  };
}

// Reads a varint at `pos`; returns [value, next position]. Safe up to 2^53.
function varint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  while (true) {
    const b = bytes[pos++];
    if (b === undefined) throw new RangeError("Cannot read varint: truncated");
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
}

/** The int64 resource_version (field 4) of Gpu bytes in [start, end), or -1. */
export function gpuVersion(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let pos = start;
  while (pos < end) {
    const [tag, p] = varint(bytes, pos);
    const wire = tag & 7;
    if (wire === 0) {
      const [value, next] = varint(bytes, p);
      if (tag >>> 3 === 4) return value;
      pos = next;
    } else if (wire === 2) {
      const [length, next] = varint(bytes, p);
      pos = next + length;
    } else {
      throw new RangeError(`Cannot scan Gpu: unexpected wire type ${wire}`);
    }
  }
  return -1;
}

/** The resource version of the Gpu inside WatchGpusResponse bytes (field 2), or -1. */
export function watchEventVersion(bytes: Uint8Array): number {
  let pos = 0;
  while (pos < bytes.length) {
    const [tag, p] = varint(bytes, pos);
    const [length, next] = varint(bytes, p); // both fields are length-delimited
    if (tag >>> 3 === 2) return gpuVersion(bytes, next, next + length);
    pos = next + length;
  }
  return -1;
}
