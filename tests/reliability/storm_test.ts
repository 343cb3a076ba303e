/**
 * Connection storms: many clients connect, call and disconnect abruptly,
 * mid-stream and mid-message, in-process and in child processes that are
 * killed. Afterwards the server answers and holds no leaked watcher.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { type Endpoint, grpcFrame, RawH2 } from "./_h2.ts";
import { RawClient, type RawWatch } from "./_raw_client.ts";
import {
  type ChildScript,
  metric,
  scrape,
  spawnScript,
  startMeteredServer,
  SUBPROCESS_TEST,
  waitUntil,
} from "./_server.ts";
import { encode, Prng } from "./_wire.ts";

const MAX_WATCHERS = 64;
const WAVES = 4;
const SESSIONS_PER_WAVE = 50;
const CHILDREN = 3;
const WATCHES_PER_CHILD = 10;
const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

const WATCH_ALL = encode("WatchGpusRequest", {});
const GET = encode("GetGpuRequest", { name: "storm" });

function statusWrite(marker: string): Uint8Array {
  return encode("UpdateGpuStatusRequest", {
    name: "storm",
    status: { conditions: [{ type: "Ready", status: "True", message: marker }] },
  });
}

// One abrupt client; `kind` picks how it connects, what it sends and where it cuts.
async function abruptSession(endpoint: Endpoint, kind: number, marker: string): Promise<void> {
  const h2 = new RawH2(endpoint);
  switch (kind) {
    case 0: { // cut mid-stream, after the first event
      await RawH2.firstData(h2.call("WatchGpus", grpcFrame(WATCH_ALL)));
      return h2.cut();
    }
    case 1: { // three watches, cut before any answer
      for (let i = 0; i < 3; i++) h2.call("WatchGpus", grpcFrame(WATCH_ALL));
      return h2.cut();
    }
    case 2: { // HTTP/2-level teardown mid-stream
      await RawH2.firstData(h2.call("WatchGpus", grpcFrame(WATCH_ALL)));
      return h2.destroy();
    }
    case 3: { // half a message: the prefix declares 100 bytes, 10 arrive
      h2.call("UpdateGpuStatus", grpcFrame(statusWrite(marker), 100).subarray(0, 15), false);
      await new Promise((r) => setTimeout(r, 1));
      return h2.cut();
    }
    case 4: { // a write, cut before its response
      h2.call("UpdateGpuStatus", grpcFrame(statusWrite(marker)));
      return h2.cut();
    }
    case 5: { // headers only, stream left open
      h2.call("WatchGpus", undefined, false);
      await new Promise((r) => setTimeout(r, 1));
      return h2.cut();
    }
    case 6: { // polite cancel of a watch, then close
      const stream = h2.call("WatchGpus", grpcFrame(WATCH_ALL));
      await RawH2.firstData(stream);
      stream.close();
      return h2.session.close();
    }
    default: { // a complete unary call, then cut
      await RawH2.grpcStatus(h2.call("GetGpu", grpcFrame(GET)));
      return h2.cut();
    }
  }
}

// Raw sockets that never speak proper HTTP/2.
async function junkSocket(path: string, kind: number): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    if (kind === 1) await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
    if (kind === 2) await conn.write(new TextEncoder().encode(PREFACE + "\x00\x00\x04garbage"));
  } catch { /* the server may already have closed it */ }
  conn.close();
}

// grpc-js clients that open watches and calls, then go away (cancel or not) and close.
async function grpcClient(target: string, cancel: boolean): Promise<void> {
  const client = new DeviceApiClient(target, {
    channelOptions: { "grpc.use_local_subchannel_pool": 1 },
  });
  const watches = [client.watch(), client.watch()];
  await Promise.all(watches.map((w) => w.next()));
  await client.list();
  if (cancel) { for (const w of watches) w.cancel(); }
  else watches[0]!.cancel();
  client.close();
  if (!cancel) watches[1]!.cancel(); // a closed channel keeps its streams until cancelled
}

Deno.test(
  "a connection storm with abrupt disconnects leaves the server answering with no leaked watcher",
  SUBPROCESS_TEST,
  async () => {
    // The probe below holds every watch slot on one connection: the per-connection bounds make room.
    await using server = await startMeteredServer([
      `--max-watchers=${MAX_WATCHERS}`,
      `--max-watchers-per-connection=${MAX_WATCHERS + 1}`,
      `--max-concurrent-streams=${MAX_WATCHERS + 8}`,
      "--v=0",
    ]);
    const target = `unix://${server.socket}`;
    const [host, port] = server.tcpAddress.split(":");
    const endpoints: Endpoint[] = [{ path: server.socket }, { host: host!, port: Number(port) }];
    const rng = new Prng(0x570c);
    const children: ChildScript[] = [];
    const probe = new RawClient(target);
    const watches: RawWatch[] = [];
    const active = async () =>
      metric(await scrape(server.metricsPort), "device_api_server_watch_streams_active");
    try {
      const admin = new DeviceApiClient(target, { provider: "storm" });
      await admin.create({ metadata: { name: "storm" }, spec: { uuid: "GPU-storm" } });
      admin.close();
      for (let i = 0; i < CHILDREN; i++) {
        children.push(spawnScript("_child.ts", ["watch", target, String(WATCHES_PER_CHILD)]));
      }
      const markers = new Set<string>();
      for (let wave = 0; wave < WAVES; wave++) {
        const work: Promise<void>[] = [];
        for (let i = 0; i < SESSIONS_PER_WAVE; i++) {
          const marker = `storm ${wave}.${i}`;
          markers.add(marker);
          work.push(abruptSession(rng.pick(endpoints), rng.int(8), marker));
        }
        for (let i = 0; i < 6; i++) work.push(junkSocket(server.socket, i % 3));
        for (let i = 0; i < 4; i++) work.push(grpcClient(target, i % 2 === 0));
        await Promise.all(work);
      }
      // The children hold watches and call in a loop when they are killed.
      for (const child of children) await child.waitForLine((l) => l === "ready");
      for (const child of children) await child.kill();

      await waitUntil("every abandoned watch is released", async () => (await active()) === 0);
      // The whole watcher budget is available again: the last one past it is refused.
      for (let i = 0; i < MAX_WATCHERS; i++) watches.push(probe.watch(WATCH_ALL));
      await Promise.all(watches.map((w) => w.waitFor(1)));
      const extra = probe.watch(WATCH_ALL);
      assert.equal((await extra.ended).code, status.RESOURCE_EXHAUSTED);

      // The server answers, and the object the storm wrote to is whole.
      const reader = new DeviceApiClient(target);
      const gpu = await reader.get("storm");
      reader.close();
      const conditions = gpu.status.conditions;
      assert.ok(conditions.length <= 1);
      if (conditions.length) assert.ok(markers.has(conditions[0]!.message), conditions[0]!.message);
      assert.equal(server.logs.filter((l) => /internal error/.test(String(l.msg))).length, 0);
    } finally {
      for (const w of watches) w.call.cancel();
      for (const child of children) await child.kill();
      probe.close();
    }
  },
);
