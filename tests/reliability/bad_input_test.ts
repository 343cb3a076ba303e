/**
 * Bad input on every GpuService RPC, sent as raw bytes: each crafted case
 * gets its precise status, seeded random and mutated payloads never get
 * INTERNAL or UNKNOWN, the server keeps serving a healthy client, and the
 * stored state (raw ListGpus bytes, resource version included) does not move.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { startServer } from "../_helpers/server_process.ts";
import {
  callRaw,
  describe,
  HealthyConsumer,
  ownClient,
  restoreSeed,
  seed,
} from "./_bad_input_run.ts";
import { type Case, type Method, SERVER_ARGS } from "./_corpus.ts";
import { badConditions, hugeLabels, invalidNames, invalidUuids } from "./_corpus_fields.ts";
import { badVersions, unknownFields, wrongNamespaces } from "./_corpus_scope.ts";
import {
  emptyRequests,
  oversize,
  structural,
  truncations,
  wrongWireTypes,
} from "./_corpus_wire.ts";
import { codeName, RawClient, type RawResult } from "./_raw_client.ts";
import { metric, scrape, startMeteredServer, SUBPROCESS_TEST } from "./_server.ts";
import { encode, listVersion, mutate, mutateFields, Prng, requestType } from "./_wire.ts";

const EMPTY = new Uint8Array(0);
const INTERNAL_LOG = /internal error/;

Deno.test(
  "GpuService answers every crafted bad request with its precise status and keeps the state",
  SUBPROCESS_TEST,
  async () => {
    await using server = await startServer({ args: SERVER_ARGS, noTcp: true });
    const target = `unix://${server.socket}`;
    const writer = ownClient(target, "seed");
    const raw = new RawClient(target);
    let healthy: HealthyConsumer | undefined;
    try {
      await seed(writer);
      const baseline = (await raw.unary("ListGpus", EMPTY)).bytes!;
      healthy = new HealthyConsumer(target, "gpu-1");
      const cases: Case[] = [
        ...emptyRequests(),
        ...truncations(),
        ...oversize(),
        ...wrongWireTypes(),
        ...structural(),
        ...invalidNames(),
        ...invalidUuids(),
        ...badConditions(),
        ...hugeLabels(),
        ...wrongNamespaces(),
        ...badVersions(listVersion(baseline)),
        ...unknownFields(),
      ];
      const failures: string[] = [];
      for (const c of cases) {
        const got = await callRaw(raw, c.method, c.payload);
        const problems: string[] = [];
        if (got.code !== c.code) problems.push(`expected ${codeName(c.code)}`);
        if (c.details && got.code !== status.OK && !c.details.test(got.details)) {
          problems.push(`details should match ${c.details}`);
        }
        if (c.sameAs && got.code === status.OK) {
          const clean = await raw.unary(c.method as Exclude<Method, "WatchGpus">, c.sameAs);
          if (!sameBytes(clean.bytes, got.bytes)) problems.push("response differs from clean");
        }
        const after = (await raw.unary("ListGpus", EMPTY)).bytes;
        if (!sameBytes(after, baseline)) problems.push("stored state changed");
        if (problems.length) {
          failures.push(`${c.name}: got ${describe(got)}; ${problems.join(", ")}`);
        }
        if (!sameBytes(after, baseline)) break; // later cases assume the seed
      }
      assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases failed`);

      // The healthy consumer kept reading, and its watch is alive and saw no event meanwhile.
      const write = await writer.updateStatus("gpu-1", {
        conditions: [{ type: "Ready", status: "True" }],
      });
      await healthy.seen(write.resourceVersion);
      await healthy.stop();
      assert.deepEqual(healthy.errors, []);
      assert.ok(healthy.reads > 0, "the healthy consumer completed reads during the corpus");
      assert.deepEqual(
        healthy.events.map((e) => [e.type, e.object.resourceVersion]).slice(4),
        [["MODIFIED", write.resourceVersion]],
        "after the snapshot, the only event is the write made after the corpus",
      );
      assert.equal(server.logs.filter((l) => INTERNAL_LOG.test(String(l.msg))).length, 0);
    } finally {
      await healthy?.stop();
      raw.close();
      writer.close();
    }
  },
);

// Codes each method may answer a random payload with; anything else is a failure.
const ALLOWED: Record<Method, status[]> = {
  GetGpu: [status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND],
  ListGpus: [status.OK, status.INVALID_ARGUMENT],
  WatchGpus: [status.OK, status.INVALID_ARGUMENT, status.OUT_OF_RANGE],
  CreateGpu: [status.OK, status.INVALID_ARGUMENT, status.ALREADY_EXISTS],
  UpdateGpu: [status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND, status.ABORTED],
  UpdateGpuStatus: [status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND, status.ABORTED],
  DeleteGpu: [status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND],
};

// Well-formed requests the mutations start from.
const BASES: Record<Method, Uint8Array[]> = {
  GetGpu: [
    encode("GetGpuRequest", { name: "gpu-0", opts: { namespace: "default" } }),
    encode("GetGpuRequest", { name: "gpu-0", opts: { namespace: "other", resourceVersion: "5" } }),
  ],
  ListGpus: [
    encode("ListGpusRequest", { opts: { namespace: "other", labelSelector: "zone=a" } }),
    encode("ListGpusRequest", { opts: { labelSelector: "zone in (a,b),!taint" } }),
  ],
  WatchGpus: [
    encode("WatchGpusRequest", { opts: { resourceVersion: "0", namespace: "default" } }),
    encode("WatchGpusRequest", { opts: { allowWatchBookmarks: true, labelSelector: "zone" } }),
  ],
  CreateGpu: [
    encode("CreateGpuRequest", {
      gpu: { metadata: { name: "gpu-9", labels: { zone: "a" } }, spec: { uuid: "GPU-9" } },
    }),
    encode("CreateGpuRequest", {
      gpu: {
        metadata: { name: "gpu-8", namespace: "fuzz", annotations: { a: "b" } },
        spec: { uuid: "GPU-8", productName: "H100", index: 1 },
        status: {
          conditions: [{ type: "Ready", status: "True", lastTransitionTime: { seconds: 9 } }],
        },
      },
    }),
  ],
  UpdateGpu: [
    encode("UpdateGpuRequest", {
      gpu: { metadata: { name: "gpu-1", labels: { zone: "b" } }, spec: { uuid: "GPU-1" } },
    }),
    encode("UpdateGpuRequest", {
      gpu: {
        metadata: { name: "gpu-0", namespace: "other", resourceVersion: "1" },
        spec: { uuid: "GPU-other-0", serial: "s" },
      },
    }),
  ],
  UpdateGpuStatus: [
    encode("UpdateGpuStatusRequest", {
      name: "gpu-10",
      status: { conditions: [{ type: "Ready", status: "False", reason: "XidError" }] },
    }),
    encode("UpdateGpuStatusRequest", {
      name: "gpu-0",
      resourceVersion: 1,
      status: { recommendedAction: "reboot", conditions: [{ type: "A", status: "Unknown" }] },
    }),
  ],
  DeleteGpu: [
    encode("DeleteGpuRequest", { name: "gpu-1" }),
    encode("DeleteGpuRequest", { name: "gpu-10" }),
  ],
};

const PER_METHOD = 60;

Deno.test(
  "GpuService survives seeded random and mutated payloads on every RPC",
  SUBPROCESS_TEST,
  async () => {
    const seedValue = Number(Deno.env.get("RELIABILITY_SEED") ?? 0x5eed);
    const rng = new Prng(seedValue);
    await using server = await startMeteredServer([...SERVER_ARGS, "--grpc-address="]);
    const target = `unix://${server.socket}`;
    const writer = ownClient(target, "seed");
    const raw = new RawClient(target);
    let healthy: HealthyConsumer | undefined;
    const watchers = async () =>
      metric(await scrape(server.metricsPort), "device_api_server_watch_streams_active");
    try {
      await seed(writer);
      healthy = new HealthyConsumer(target);
      await healthy.seen(1);
      let baseline = (await raw.unary("ListGpus", EMPTY)).bytes!;
      const failures: string[] = [];
      for (const method of Object.keys(ALLOWED) as Method[]) {
        for (let i = 0; i < PER_METHOD; i++) {
          const base = rng.pick(BASES[method]);
          const payload = i % 3 === 0
            ? rng.bytes(rng.int(48))
            : i % 3 === 1
            ? mutate(rng, base)
            : mutateFields(rng, requestType(method), base);
          const label = `${method} #${i} (seed ${seedValue}) ${hex(payload)}`;
          const got: RawResult = await callRaw(
            raw,
            method,
            payload,
            async () => (await watchers()) > 1,
          );
          if (method === "WatchGpus") await waitWatchers(watchers, 1);
          if (!ALLOWED[method].includes(got.code)) failures.push(`${label}: ${describe(got)}`);
          const after = (await raw.unary("ListGpus", EMPTY)).bytes!;
          const wrote = got.code === status.OK &&
            !["GetGpu", "ListGpus", "WatchGpus"].includes(method);
          if (!wrote && !sameBytes(after, baseline)) {
            failures.push(`${label}: state changed by a call answered ${describe(got)}`);
          }
          if (wrote) {
            await restoreSeed(writer);
            baseline = (await raw.unary("ListGpus", EMPTY)).bytes!;
          }
        }
      }
      assert.deepEqual(failures, []);
      // The healthy watch saw every write, in order, up to the final state.
      await healthy.seen(listVersion(baseline));
      await healthy.stop();
      assert.deepEqual(healthy.errors, []);
      const versions = healthy.events.slice(4).map((e) => e.object.resourceVersion);
      assert.ok(versions.every((v, i) => i === 0 || v > versions[i - 1]!), "versions only grow");
      assert.equal(server.logs.filter((l) => INTERNAL_LOG.test(String(l.msg))).length, 0);
    } finally {
      await healthy?.stop();
      raw.close();
      writer.close();
    }
  },
);

async function waitWatchers(read: () => Promise<number>, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await read()) !== n) {
    if (Date.now() > deadline) throw new Error(`watch streams did not return to ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(bytes: Uint8Array): string {
  const shown = [...bytes.subarray(0, 48)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return bytes.length > 48 ? `${shown}…(${bytes.length} bytes)` : shown;
}
