/**
 * Hostile clients against the real server's quotas (issue 13, item 4): one
 * connection, one listener or one kind of stream cannot take every slot;
 * refusals are RESOURCE_EXHAUSTED naming the limit; a vanished TCP peer
 * releases its slots; /livez keeps answering.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { freePort, type ServerProcess, startServer, testGpu } from "../_helpers/server_process.ts";
import { eventually, scrapeUrl } from "../metrics/_exposition.ts";
import { makePki, tlsClient } from "../tls/_pki.ts";
import {
  FreezingProxy,
  openReflection,
  type OpenStream,
  openStream,
  ownConnection,
} from "./_streams.ts";

const opts = {};
const WATCH = "/nvidia.device.v1alpha1.GpuService/WatchGpus";
const HEALTH_WATCH = "/grpc.health.v1.Health/Watch";

const scrape = (port: number) => scrapeUrl(`http://127.0.0.1:${port}/metrics`);

// Generous, for a loaded 2-core CI machine: a hung event loop never answers at all.
async function livez(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/livez`, { signal: AbortSignal.timeout(5_000) });
  await res.body?.cancel();
  return res.status;
}

// One GPU, so that every new watch gets a first event (its snapshot).
async function withGpu(server: ServerProcess): Promise<void> {
  const client = server.client();
  await client.create(testGpu("gpu-0"));
  client.close();
}

// Ends every stream and waits for the ends, so no call outlives its test.
async function endAll(streams: OpenStream[]): Promise<void> {
  for (const s of streams) s.cancel();
  await Promise.all(streams.map((s) => s.ended));
}

Deno.test(
  "WatchQuota refuses the 33rd watch on one connection, and a second connection still watches",
  opts,
  async () => {
    const health = freePort();
    const metrics = freePort();
    await using server = await startServer({
      args: [`--health-port=${health}`, `--metrics-port=${metrics}`],
    });
    await withGpu(server);
    const hostile = ownConnection(`unix://${server.socket}`);
    const other = ownConnection(`unix://${server.socket}`);
    // 1,024 watches on one HTTP/2 connection, none of them ever read (the client holds those over
    // --max-concurrent-streams back until a refused one ends).
    const flood = Array.from({ length: 1024 }, () => openStream(hostile, WATCH, { read: false }));
    try {
      const refused = flood.slice(32).map((s) => s.ended);
      for (const end of await Promise.all(refused)) {
        assert.equal(end.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.match(end.details, /--max-watchers-per-connection/);
        assert.match(end.details, /the limit is 32/);
      }
      assert.equal(await livez(health), 200);
      // Another client, on its own connection, gets a watch and its first event.
      const second = openStream(other, WATCH, { read: true });
      await second.first;
      const m = await scrape(metrics);
      assert.equal(
        m.value("device_api_server_quota_rejections_total", {
          quota: "watchers_per_connection",
        }),
        992,
      );
      assert.equal(
        m.value("device_api_server_quota_in_use", { quota: "watchers_per_connection" }),
        32,
      );
      assert.equal(
        m.value("device_api_server_quota_limit", { quota: "watchers_per_connection" }),
        32,
      );
      await endAll([...flood.slice(0, 32), second]);
    } finally {
      hostile.close();
      other.close();
    }
  },
);

Deno.test(
  "WatchQuota keeps --provider-reserved-watchers for the provider socket: TCP consumers cannot take them",
  opts,
  async () => {
    await using server = await startServer({
      args: ["--max-watchers=4", "--provider-reserved-watchers=2"],
    });
    await withGpu(server);
    const tcp = ownConnection(server.tcpAddress);
    const unix = ownConnection(`unix://${server.socket}`);
    const open: OpenStream[] = [];
    try {
      for (let i = 0; i < 2; i++) open.push(openStream(tcp, WATCH, { read: true }));
      await Promise.all(open.map((s) => s.first));
      const third = await openStream(tcp, WATCH, { read: true }).ended;
      assert.equal(third.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(third.details, /--provider-reserved-watchers/);
      // The provider socket still has its two slots.
      for (let i = 0; i < 2; i++) open.push(openStream(unix, WATCH, { read: true }));
      await Promise.all(open.map((s) => s.first));
      await endAll(open);
    } finally {
      tcp.close();
      unix.close();
    }
  },
);

Deno.test(
  "keepalive closes the connection of a vanished TCP peer and releases its watch slots",
  opts,
  async () => {
    await using server = await startServer({
      args: [
        "--max-watchers=4",
        "--provider-reserved-watchers=2",
        "--keepalive-time=300ms",
        "--keepalive-timeout=300ms",
      ],
    });
    await withGpu(server);
    const proxy = await FreezingProxy.start(Number(server.tcpAddress.split(":")[1]));
    const vanishing = ownConnection(`127.0.0.1:${proxy.port}`);
    const fresh: grpc.Client[] = [];
    try {
      const held = [
        openStream(vanishing, WATCH, { read: true }),
        openStream(vanishing, WATCH, { read: true }),
      ];
      await Promise.all(held.map((s) => s.first));
      const direct = ownConnection(server.tcpAddress);
      fresh.push(direct);
      assert.equal(
        (await openStream(direct, WATCH, { read: true }).ended).code,
        grpc.status.RESOURCE_EXHAUSTED,
      );
      proxy.freeze(); // the peer neither answers pings nor closes its connection
      const watch = await eventually(async () => {
        const client = ownConnection(server.tcpAddress);
        fresh.push(client);
        const watch = openStream(client, WATCH, { read: true });
        await watch.first; // rejects while the frozen peer still holds the slots
        return watch;
      }, 15_000);
      await endAll([watch]);
    } finally {
      proxy.close();
      vanishing.close();
      for (const c of fresh) c.close();
    }
  },
);

Deno.test(
  "GrpcHealth refuses Watch streams beyond --max-health-watchers with RESOURCE_EXHAUSTED",
  opts,
  async () => {
    const metrics = freePort();
    await using server = await startServer({
      args: ["--max-health-watchers=3", `--metrics-port=${metrics}`],
    });
    const client = ownConnection(`unix://${server.socket}`);
    try {
      const open = Array.from(
        { length: 3 },
        () => openStream(client, HEALTH_WATCH, { read: true }),
      );
      await Promise.all(open.map((s) => s.first));
      const refused = await openStream(client, HEALTH_WATCH, { read: true }).ended;
      assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(refused.details, /--max-health-watchers/);
      const m = await scrape(metrics);
      assert.equal(
        m.value("device_api_server_quota_rejections_total", { quota: "health_watchers" }),
        1,
      );
      assert.equal(m.value("device_api_server_quota_in_use", { quota: "health_watchers" }), 3);
      // A slot freed is a slot usable again.
      open[0]!.cancel();
      await open[0]!.ended;
      const again = openStream(client, HEALTH_WATCH, { read: true });
      await again.first;
      await endAll([...open.slice(1), again]);
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "reflectionService() refuses streams beyond --max-reflection-streams with RESOURCE_EXHAUSTED",
  opts,
  async () => {
    await using server = await startServer({ args: ["--max-reflection-streams=2"] });
    const client = ownConnection(`unix://${server.socket}`);
    try {
      const open = [openReflection(client), openReflection(client)];
      // Let both reach the server before the third.
      await new Promise((r) => setTimeout(r, 300));
      const refused = await openReflection(client).ended;
      assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(refused.details, /--max-reflection-streams/);
      await endAll(open);
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "an idle connection is closed after --max-connection-idle",
  opts,
  async () => {
    const metrics = freePort();
    await using server = await startServer({
      args: ["--max-connection-idle=500ms", `--metrics-port=${metrics}`],
    });
    const client = ownConnection(`unix://${server.socket}`);
    const connections = async () =>
      (await scrape(metrics)).value("device_api_server_connections", { listener: "unix-socket" });
    try {
      const watch = openStream(client, HEALTH_WATCH, { read: true });
      await watch.first;
      assert.equal(await connections(), 1);
      await endAll([watch]);
      await eventually(async () => assert.equal(await connections(), 0));
    } finally {
      client.close();
    }
  },
);

// Lists through a new client (no GPUs were created), then closes it.
async function servesList(client: DeviceApiClient): Promise<void> {
  try {
    assert.deepEqual((await client.list()).items, []);
  } finally {
    client.close();
  }
}

function closeAll(conns: Deno.Conn[]): void {
  for (const c of conns) {
    try {
      c.close();
    } catch { /* already closed by the server */ }
  }
}

// Resolves with what the server did to a connection it holds: "closed" when it ended it.
async function fate(conn: Deno.Conn, waitMs: number): Promise<"closed" | "open"> {
  const read = conn.read(new Uint8Array(64)).then(
    (n) => n === null ? "closed" : "open",
    () => "closed",
  );
  const timeout = new Promise<"open">((r) => setTimeout(() => r("open"), waitMs));
  return await Promise.race([read, timeout]) as "closed" | "open";
}

Deno.test(
  "--max-connections closes connections over a listener's bound as they arrive; other listeners and freed slots still serve",
  opts,
  async () => {
    const metrics = freePort();
    await using server = await startServer({
      args: ["--max-connections=3", `--metrics-port=${metrics}`],
    });
    const connections = async () =>
      (await scrape(metrics)).value("device_api_server_connections", { listener: "unix-socket" });
    // Three connections that never send a byte hold the Unix socket's three slots.
    const held: Deno.UnixConn[] = [];
    const extra: Deno.UnixConn[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        held.push(await Deno.connect({ transport: "unix", path: server.socket }));
      }
      await eventually(async () => assert.equal(await connections(), 3));
      for (let i = 0; i < 5; i++) {
        extra.push(await Deno.connect({ transport: "unix", path: server.socket }));
      }
      assert.deepEqual(
        await Promise.all(extra.map((c) => fate(c, 5_000))),
        ["closed", "closed", "closed", "closed", "closed"],
      );
      assert.equal(await fate(held[0]!, 200), "open", "the admitted ones stay open");
      const exposition = await scrape(metrics);
      assert.equal(
        exposition.value("device_api_server_quota_rejections_total", {
          quota: "connections_per_listener",
        }),
        5,
      );
      assert.equal(
        exposition.value("device_api_server_quota_limit", { quota: "connections_per_listener" }),
        3,
      );
      // TCP has slots of its own.
      await servesList(new DeviceApiClient(server.tcpAddress));
      // A slot freed on the Unix socket serves the next client.
      held.pop()!.close();
      await eventually(async () => assert.equal(await connections(), 2));
      await servesList(server.client());
    } finally {
      closeAll([...held, ...extra]);
    }
  },
);

Deno.test(
  "--max-connections counts TLS connections before their handshake: a flood of silent ones costs no handshake and leaves the bound's clients served",
  opts,
  async () => {
    const pki = await makePki();
    await using server = await startServer({
      args: [
        "--max-connections=2",
        `--tls-cert-file=${pki.server1.certFile}`,
        `--tls-key-file=${pki.server1.keyFile}`,
      ],
    });
    const [hostname, port] = [
      server.tcpAddress.split(":")[0]!,
      Number(server.tcpAddress.split(":")[1]),
    ];
    const held: Deno.Conn[] = [];
    const extra: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 2; i++) held.push(await Deno.connect({ hostname, port }));
      // Accepted in order: the first two hold the slots, the later ones are closed.
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 3; i++) extra.push(await Deno.connect({ hostname, port }));
      assert.deepEqual(
        await Promise.all(extra.map((c) => fate(c, 5_000))),
        ["closed", "closed", "closed"],
      );
      held.pop()!.close();
      await eventually(() => servesList(tlsClient(server.tcpAddress, pki.ca1)));
    } finally {
      closeAll([...held, ...extra]);
    }
  },
);
