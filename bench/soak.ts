/**
 * `deno task soak`: a bounded run of mixed load against the server started
 * exactly as `deno task start` starts it (scoped permissions, V8 flags), on
 * a temporary socket. Every 10 s it prints the server's RSS, heap and
 * event-loop lag (from /metrics) and the operations done; at the end, the
 * min/max/last of each figure. Not a test: it asserts no timing, but exits 1
 * when the load saw a correctness problem (a gap in a watch, an unexpected
 * error) or the server did not stop cleanly.
 *
 * Usage: deno task soak [--minutes 5] [--writers 4] [--readers 4] [--watchers 20]
 *        [--reconnecting 4] [--paused 2] [--gpus 16]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { status } from "@grpc/grpc-js";
import { DeviceApiClient } from "../src/client/mod.ts";
import { readConfigEnv } from "../src/config/mod.ts";
import { startCommand } from "../scripts/start.ts";

const { values: opt } = parseArgs({
  options: {
    minutes: { type: "string", default: "5" },
    writers: { type: "string", default: "4" },
    readers: { type: "string", default: "4" },
    watchers: { type: "string", default: "20" },
    reconnecting: { type: "string", default: "4" },
    paused: { type: "string", default: "2" },
    gpus: { type: "string", default: "16" },
  },
});
const MINUTES = Number(opt.minutes);
const GPUS = Number(opt.gpus);
const INTERVAL_MS = 10_000;

/** Counters shared by the load loops. */
const ops = { writes: 0, reads: 0, events: 0, resumes: 0, relists: 0, evictions: 0 };
const problems: string[] = [];
let running = true;
/** Cancels every open watch when the run ends. */
const open = new Set<() => void>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function problem(what: string): void {
  if (problems.length < 50) problems.push(what);
  console.error(`PROBLEM: ${what}`);
}

/**
 * Client-side transport failures: the Deno node:http2 client sometimes tears
 * a session down itself ("internal client error", then CANCELLED calls) under
 * rapid stream cancellation; a C-core client against the same server does
 * not. Counted and shown, but not blamed on the server.
 */
const clientFaults: string[] = [];
let clientFaultCount = 0;

function failed(who: string, err: unknown): void {
  const message = `${who}: ${(err as Error).message}`;
  const code = codeOf(err);
  if (/internal client error/.test(message) || code === status.CANCELLED) {
    clientFaultCount++;
    if (clientFaults.length < 100) clientFaults.push(message);
  } else problem(message);
}

const codeOf = (err: unknown) => (err as { code?: number }).code;
const name = (i: number) => `gpu-${i}`;

async function writer(client: DeviceApiClient, w: number): Promise<void> {
  for (let i = 0; running; i++) {
    const gpu = name((w + i * 7) % GPUS);
    try {
      if (i % 50 === 49) { // churn: delete and re-create one object of its own
        await client.delete(`churn-${w}`).catch((e) => {
          if (codeOf(e) !== status.NOT_FOUND) throw e;
        });
        await client.create({ metadata: { name: `churn-${w}` }, spec: { uuid: `GPU-churn-${w}` } });
      } else {
        await client.updateStatus(gpu, {
          conditions: [
            {
              type: "Ready",
              status: i % 3 ? "True" : "False",
              reason: "Soak",
              message: `w${w} #${i}`,
            },
            { type: "Thermal", status: "True" },
          ],
        });
      }
      ops.writes++;
    } catch (e) {
      failed(`writer ${w}`, e);
    }
  }
}

async function reader(client: DeviceApiClient, r: number): Promise<void> {
  for (let i = 0; running; i++) {
    try {
      if (i % 4 === 0) await client.list(i % 8 === 0 ? { labelSelector: "pool=a" } : {});
      else await client.get(name((r + i) % GPUS));
      ops.reads++;
    } catch (e) {
      failed(`reader ${r}`, e);
    }
  }
}

/**
 * Watches from a listed version and checks that versions are consecutive
 * (every write bumps the version by one and every watcher sees every write).
 * `resumeEvery` > 0 cancels and resumes from the last version seen after
 * that many events; an eviction or a version too old means re-list.
 */
async function watcher(client: DeviceApiClient, id: string, resumeEvery: number): Promise<void> {
  let from = Number((await client.list()).resourceVersion);
  while (running) {
    const watch = client.watch({ resourceVersion: String(from) });
    const cancel = () => watch.cancel();
    open.add(cancel);
    let seen = 0;
    try {
      for await (const e of watch) {
        const v = e.object.resourceVersion;
        if (v !== from + 1) problem(`${id}: version ${v} after ${from}: gap or duplicate`);
        from = v;
        ops.events++;
        if (!running || (resumeEvery > 0 && ++seen >= resumeEvery)) break;
      }
      if (resumeEvery > 0) ops.resumes++;
    } catch (e) {
      const code = codeOf(e);
      if (code === status.RESOURCE_EXHAUSTED) ops.evictions++;
      else if (code !== status.OUT_OF_RANGE) failed(id, e);
      if (!running) break;
      from = Number((await client.list()).resourceVersion);
      ops.relists++;
    } finally {
      open.delete(cancel);
    }
  }
}

/** A watcher that reads nothing for 15 s at a time: the server evicts it, and it comes back. */
async function paused(client: DeviceApiClient): Promise<void> {
  const grpc = client.grpc as unknown as {
    WatchGpus(req: unknown): import("@grpc/grpc-js").ClientReadableStream<unknown>;
  };
  while (running) {
    const call = grpc.WatchGpus({ opts: {} });
    open.add(() => call.cancel());
    call.on("data", () => {});
    call.pause();
    let ended = false;
    const end = new Promise<void>((resolve) => {
      call.on("error", (e) => {
        if (running && codeOf(e) !== status.RESOURCE_EXHAUSTED) failed("paused watcher", e);
        resolve();
      });
      call.on("end", () => resolve());
    }).then(() => (ended = true));
    while (running && !ended) {
      await Promise.race([end, sleep(15_000)]);
      call.resume(); // drain what was buffered: the status of an eviction comes after it
      await Promise.race([end, sleep(200)]);
      call.pause();
    }
    call.cancel();
  }
}

async function scrape(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const wanted = [
    "process_resident_memory_bytes",
    "nodejs_heap_size_used_bytes",
    "nodejs_eventloop_lag_p99_seconds",
    "device_api_server_watch_streams_active",
    "device_api_server_watch_evictions_total",
  ];
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [key, value] = line.split(" ");
    if (key && wanted.includes(key)) out[key] = Number(value);
  }
  return out;
}

// The server's VmRSS as the kernel reports it, next to the metric (which a permission
// set that denies /proc/self/status may leave at 0).
function vmRss(pid: number): number {
  try {
    const kb = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmRSS:\s+(\d+)/m);
    return kb ? Number(kb[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;

async function main(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "das-soak-" });
  const metricsPort = freePort();
  const args = [
    `--unix-socket=${dir}/device.sock`,
    `--grpc-address=127.0.0.1:${freePort()}`,
    `--health-port=${freePort()}`,
    `--metrics-port=${metricsPort}`,
    `--max-watchers=${Number(opt.watchers) + Number(opt.reconnecting) + Number(opt.paused) + 8}`,
  ];
  const env = readConfigEnv();
  const command = startCommand(args, env);
  console.log(`server: deno ${command.join(" ")}`);
  const server = new Deno.Command(Deno.execPath(), {
    args: command,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  (async () => {
    for await (const chunk of server.stderr.pipeThrough(new TextDecoderStream())) {
      log = (log + chunk).slice(-20_000);
    }
  })();
  const client = () =>
    new DeviceApiClient(`unix://${dir}/device.sock`, {
      provider: "soak",
      channelOptions: { "grpc.use_local_subchannel_pool": 1 },
    });
  const admin = client();
  const samples: Record<string, number>[] = [];
  try {
    const deadline = Date.now() + 30_000;
    while (!(await admin.list().then(() => true, () => false))) {
      if (Date.now() > deadline) throw new Error("Cannot reach the server: not ready after 30 s");
      await sleep(100);
    }
    for (let i = 0; i < GPUS; i++) {
      await admin.create({
        metadata: { name: name(i), labels: { pool: i % 2 ? "a" : "b" } },
        spec: { uuid: `GPU-${i}` },
      });
    }
    const clients = Array.from({ length: 8 }, client);
    const pick = (i: number) => clients[i % clients.length]!;
    const loops = [
      ...Array.from({ length: Number(opt.writers) }, (_, i) => writer(pick(i), i)),
      ...Array.from({ length: Number(opt.readers) }, (_, i) => reader(pick(i + 3), i)),
      ...Array.from(
        { length: Number(opt.watchers) },
        (_, i) => watcher(pick(i), `watcher ${i}`, 0),
      ),
      ...Array.from(
        { length: Number(opt.reconnecting) },
        (_, i) => watcher(pick(i + 5), `reconnecting ${i}`, 25 + 100 * i),
      ),
      ...Array.from({ length: Number(opt.paused) }, () => paused(client())),
    ];
    const started = Date.now();
    let last = { ...ops };
    console.log(
      "elapsed  rss metric  VmRSS      heap used  lag p99    watchers  writes/s  reads/s  events/s  evictions",
    );
    while (Date.now() - started < MINUTES * 60_000) {
      await sleep(INTERVAL_MS);
      const m = await scrape(metricsPort);
      m.vm_rss_bytes = vmRss(server.pid);
      samples.push(m);
      const rate = (k: keyof typeof ops) => ((ops[k] - last[k]) / (INTERVAL_MS / 1000)).toFixed(0);
      console.log(
        [
          `${((Date.now() - started) / 1000).toFixed(0)}s`.padEnd(8),
          mib(m.process_resident_memory_bytes!).padEnd(11),
          mib(m.vm_rss_bytes).padEnd(10),
          mib(m.nodejs_heap_size_used_bytes!).padEnd(10),
          ms(m.nodejs_eventloop_lag_p99_seconds!).padEnd(10),
          String(m.device_api_server_watch_streams_active).padEnd(9),
          rate("writes").padEnd(9),
          rate("reads").padEnd(8),
          rate("events").padEnd(9),
          String(m.device_api_server_watch_evictions_total),
        ].join(" "),
      );
      last = { ...ops };
    }
    running = false;
    for (const cancel of open) cancel();
    await Promise.race([Promise.all(loops), sleep(15_000)]);
    for (const c of clients) c.close();
  } finally {
    running = false;
    admin.close();
    try {
      server.kill("SIGTERM");
    } catch { /* already gone */ }
  }
  const killer = setTimeout(() => server.kill("SIGKILL"), 60_000); // a hung stop is a problem too
  const exit = await server.status;
  clearTimeout(killer);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  console.log("\nsummary        min        max        last");
  for (
    const [label, key, fmt] of [
      ["rss (metric)", "process_resident_memory_bytes", mib],
      ["vmrss (/proc)", "vm_rss_bytes", mib],
      ["heap used", "nodejs_heap_size_used_bytes", mib],
      ["lag p99", "nodejs_eventloop_lag_p99_seconds", ms],
    ] as const
  ) {
    const v = samples.map((s) => s[key]!);
    if (v.length) {
      console.log(
        `${label.padEnd(14)} ${fmt(Math.min(...v)).padEnd(10)} ${fmt(Math.max(...v)).padEnd(10)} ${
          fmt(v.at(-1)!)
        }`,
      );
    }
  }
  console.log(`ops: ${JSON.stringify(ops)}`);
  const distinct = [...new Set(clientFaults.map((m) => m.replace(/^[^:]*: /, "")))];
  console.log(
    `client-side transport errors: ${clientFaultCount}` +
      (distinct.length ? ` (${distinct.join("; ")})` : ""),
  );
  console.log(`server exit: ${exit.code}${exit.signal ? ` (${exit.signal})` : ""}`);
  if (exit.code !== 0) console.log(`server log tail:\n${log.slice(-3000)}`);
  console.log(
    problems.length ? `problems (${problems.length}):\n${problems.join("\n")}` : "problems: none",
  );
  return problems.length === 0 && exit.code === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
