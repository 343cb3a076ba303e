/**
 * What the server's encoding shortcuts must never break: Get answers from
 * bytes stored at write time, List from bytes cached per resource version,
 * and every watcher gets one shared Buffer per event. Through a real gRPC
 * server with undecoded responses, after every kind of write, the bytes on
 * the wire must equal a fresh encoding of the store's current state.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import {
  decodeMessage,
  encodeGpu,
  encodeGpuList,
  encodeWatchEvent,
  type Gpu,
  messageType,
  PACKAGE,
  type WatchEventType,
} from "../../src/api/mod.ts";
import { GpuStore } from "../../src/cache/mod.ts";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { nopLogger } from "../../src/logging/mod.ts";
import { DeviceApiServer } from "../../src/server/mod.ts";
import { disconnected } from "../_helpers/server_process.ts";
import { encodeRequest, rawClient, type RawClientHandle } from "../../bench/_wire.ts";

const opts = {};
const gpuType = messageType(`${PACKAGE}.Gpu`);
const listType = messageType(`${PACKAGE}.ListGpusResponse`);
const watchType = messageType(`${PACKAGE}.WatchGpusResponse`);

function unary(raw: RawClientHandle, method: string, request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    raw.unary(method)(request, new grpc.Metadata(), (err, res) => {
      if (err || !res) reject(err ?? new Error("Cannot call: no response"));
      else resolve(res);
    });
  });
}

// A watch stream whose events are kept as the raw bytes that came off the wire.
class RawWatch {
  readonly #events: Buffer[] = [];
  #wake: (() => void) | undefined;
  readonly #call: grpc.ClientReadableStream<Buffer>;

  constructor(raw: RawClientHandle, labelSelector = "") {
    this.#call = raw.watch(encodeRequest("WatchGpusRequest", { opts: { labelSelector } }));
    this.#call.on("data", (bytes: Buffer) => {
      this.#events.push(bytes);
      this.#wake?.();
    });
    this.#call.on("error", () => {});
  }

  async next(): Promise<Buffer> {
    while (this.#events.length === 0) await new Promise<void>((r) => (this.#wake = r));
    return this.#events.shift()!;
  }

  cancel(): void {
    this.#call.cancel();
  }
}

// Re-encodes bytes with protobufjs alone (decode, then encode the message):
// canonical bytes carry no defaults and keep field order, so they must not change.
function reencoded(type: typeof gpuType, bytes: Uint8Array): Buffer {
  return Buffer.from(type.encode(type.decode(bytes)).finish());
}

async function assertReadsMatchState(store: GpuStore, raw: RawClientHandle): Promise<void> {
  const { resourceVersion, items } = await store.list();
  for (const gpu of items) {
    const { name, namespace } = gpu.metadata;
    const bytes = await unary(
      raw,
      "GetGpu",
      encodeRequest("GetGpuRequest", { name, opts: { namespace } }),
    );
    assert.deepEqual(bytes, encodeGpu(gpu), `GetGpu ${namespace}/${name} bytes`);
    assert.deepEqual(reencoded(gpuType, bytes), bytes);
    assert.deepEqual(decodeMessage<Gpu>(gpuType, bytes), gpu);
  }
  const fresh = encodeGpuList(resourceVersion, items.map(encodeGpu));
  const listRequest = encodeRequest("ListGpusRequest", { opts: {} });
  for (const attempt of ["first (may fill the cache)", "second (from the cache)"]) {
    const bytes = await unary(raw, "ListGpus", listRequest);
    assert.deepEqual(bytes, fresh, `ListGpus bytes, ${attempt}`);
    assert.deepEqual(reencoded(listType, bytes), bytes);
  }
  const selected = await store.list({ labelSelector: "tier=a" });
  const filtered = await unary(
    raw,
    "ListGpus",
    encodeRequest("ListGpusRequest", { opts: { labelSelector: "tier=a" } }),
  );
  assert.deepEqual(
    filtered,
    encodeGpuList(selected.resourceVersion, selected.items.map(encodeGpu)),
    "filtered ListGpus bytes",
  );
}

async function assertEvent(watch: RawWatch, type: WatchEventType, gpu: Gpu): Promise<void> {
  const bytes = await watch.next();
  assert.deepEqual(bytes, encodeWatchEvent(type, encodeGpu(gpu)), `${type} event bytes`);
  assert.deepEqual(reencoded(watchType, bytes), bytes);
}

Deno.test(
  "GpuStore bytes on the wire equal a fresh encoding after every kind of write",
  opts,
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "das-bench-test-" });
    const socket = `${dir}/device.sock`;
    const store = new GpuStore();
    const server = new DeviceApiServer({
      store,
      logger: nopLogger,
      unixSocket: socket,
      socketMode: 0o600,
      consumerSocket: "",
      consumerSocketMode: 0o600,
      grpcAddress: "",
      maxMessageBytes: 4 * 1024 * 1024,
    });
    await server.start();
    const raw = rawClient(socket);
    const client = new DeviceApiClient(`unix://${socket}`, { provider: "bench-test" });
    const all = new RawWatch(raw);
    const tierA = new RawWatch(raw, "tier=a");
    const ctx = { provider: "bench-test" };
    const current = async (name: string, namespace = "") => await store.get(namespace, name);
    try {
      await t.step("create", async () => {
        await client.create({
          metadata: { name: "gpu-a", labels: { tier: "a" } },
          spec: { uuid: "GPU-a", productName: "NVIDIA H100", index: 0, memoryTotalBytes: 2 ** 36 },
          status: { conditions: [{ type: "Ready", status: "True", reason: "Healthy" }] },
        });
        await client.create({
          metadata: { name: "gpu-b", namespace: "team-x", annotations: { note: "" } },
          spec: { uuid: "GPU-b", index: 1 },
        });
        const a = await current("gpu-a");
        const b = await current("gpu-b", "team-x");
        await assertEvent(all, "ADDED", a);
        await assertEvent(all, "ADDED", b);
        await assertEvent(tierA, "ADDED", a);
        await assertReadsMatchState(store, raw);
      });
      await t.step("a watch started now gets the stored bytes as its snapshot", async () => {
        const late = new RawWatch(raw);
        await assertEvent(late, "ADDED", await current("gpu-a"));
        await assertEvent(late, "ADDED", await current("gpu-b", "team-x"));
        late.cancel();
      });
      await t.step("update (labels leave the selector: DELETED for it)", async () => {
        await client.update({
          metadata: { name: "gpu-a", labels: { tier: "b", zone: "z1" } },
          spec: { uuid: "GPU-a", productName: "NVIDIA H100 80GB HBM3", index: 0 },
        });
        const a = await current("gpu-a");
        assert.equal(a.metadata.generation, 2);
        await assertEvent(all, "MODIFIED", a);
        await assertEvent(tierA, "DELETED", a);
        await assertReadsMatchState(store, raw);
      });
      await t.step("update (labels enter the selector: ADDED for it)", async () => {
        await client.update({
          metadata: { name: "gpu-a", labels: { tier: "a" } },
          spec: { uuid: "GPU-a", productName: "NVIDIA H100 80GB HBM3", index: 0 },
        });
        const a = await current("gpu-a");
        await assertEvent(all, "MODIFIED", a);
        await assertEvent(tierA, "ADDED", a);
        await assertReadsMatchState(store, raw);
      });
      await t.step("updateStatus", async () => {
        await client.updateStatus("gpu-a", {
          conditions: [
            { type: "Ready", status: "False", reason: "XidCriticalError", message: "Xid 79" },
            { type: "MemoryHealthy", status: "True", reason: "NoEccErrors" },
          ],
          recommendedAction: "RESET_GPU",
        });
        const a = await current("gpu-a");
        await assertEvent(all, "MODIFIED", a);
        await assertEvent(tierA, "MODIFIED", a);
        await assertReadsMatchState(store, raw);
      });
      await t.step("setConditions (through the store)", async () => {
        await store.setConditions({
          namespace: "team-x",
          name: "gpu-b",
          set: [{ type: "ThermalNormal", status: "False", reason: "Slowdown", message: "91 C" }],
          remove: [],
        }, ctx);
        await assertEvent(all, "MODIFIED", await current("gpu-b", "team-x"));
        await store.setConditions({ name: "gpu-a", set: [], remove: ["MemoryHealthy"] }, ctx);
        const a = await current("gpu-a");
        await assertEvent(all, "MODIFIED", a);
        await assertEvent(tierA, "MODIFIED", a);
        await assertReadsMatchState(store, raw);
      });
      await t.step("rewriteConditions (server-side, through the store)", async () => {
        // Both GPUs have a condition that is not Unknown yet: one event each.
        await store.rewriteConditions(
          "lease_expired",
          { provider: "" },
          (
            c,
          ) => (c.status === "Unknown"
            ? null
            : { ...c, status: "Unknown", reason: "LeaseExpired" }),
        );
        const a = await current("gpu-a");
        await assertEvent(all, "MODIFIED", a);
        await assertEvent(tierA, "MODIFIED", a);
        await assertEvent(all, "MODIFIED", await current("gpu-b", "team-x"));
        await assertReadsMatchState(store, raw);
      });
      await t.step("delete (through gRPC, then through the store)", async () => {
        const before = await current("gpu-a");
        await client.delete("gpu-a");
        const version = store.resourceVersion;
        const deleted: Gpu = {
          ...before,
          metadata: { ...before.metadata, resourceVersion: String(version) },
          resourceVersion: version,
        };
        await assertEvent(all, "DELETED", deleted);
        await assertEvent(tierA, "DELETED", deleted);
        await assertReadsMatchState(store, raw);
        const { gpu } = await store.delete("team-x", "gpu-b", ctx);
        await assertEvent(all, "DELETED", structuredClone(gpu) as Gpu);
        await assertReadsMatchState(store, raw);
        assert.equal(store.size, 0);
      });
    } finally {
      all.cancel();
      tierA.cancel();
      client.close();
      raw.client.close();
      // Closed at both ends first: the GOAWAY of a shutdown can crash a Deno 2.9.6 client that
      // is still connected or closing (denoland/deno#36788), and both ends live in this process.
      await disconnected({ dir });
      await server.stop({ graceful: false, timeoutMs: 0 });
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
