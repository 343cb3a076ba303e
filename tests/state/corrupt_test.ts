/**
 * An unusable checkpoint never keeps the server from serving: truncated,
 * bit-flipped, or of another format version, it is moved aside (kept, byte
 * for byte), the reason is logged and counted, and the server starts empty
 * with versions still above the previous run's. And the checkpoint stays
 * within its byte budget whatever is written.
 */
import assert from "node:assert/strict";
import { checkpointBudget, HEADER_BYTES } from "../../src/state/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { startWithMetrics } from "../metrics/_metrics_server.ts";

const opts = {};
const CHECKPOINT = "state/checkpoint.bin";

// A real checkpoint: one GPU written by a server that stopped gracefully.
async function goodCheckpoint(): Promise<{ bytes: Uint8Array; version: number }> {
  await using server = await startServer({ noTcp: true });
  const client = server.client();
  const { gpu } = await client.create(testGpu("g"));
  client.close();
  await server.stop("SIGTERM");
  return {
    bytes: await Deno.readFile(`${server.dir}/${CHECKPOINT}`),
    version: gpu.resourceVersion,
  };
}

const CORRUPTIONS: [reason: string, corrupt: (b: Uint8Array) => Uint8Array][] = [
  ["truncated", (b) => b.slice(0, Math.floor(b.length / 2))],
  ["checksum", (b) => {
    const out = b.slice();
    out[out.length - 3]! ^= 0x10;
    return out;
  }],
  ["newer_format", (b) => withFormat(b, 99)],
  ["unsupported_format", (b) => withFormat(b, 0)],
];

function withFormat(bytes: Uint8Array, format: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(8, format, true);
  return out;
}

Deno.test(
  "a corrupt checkpoint is moved aside, counted, and the server serves",
  opts,
  async (t) => {
    const good = await goodCheckpoint();
    for (const [reason, corrupt] of CORRUPTIONS) {
      await t.step(reason, async () => {
        const dir = await Deno.makeTempDir({ prefix: "das-corrupt-" });
        try {
          await Deno.mkdir(`${dir}/state`);
          const bad = corrupt(good.bytes);
          await Deno.writeFile(`${dir}/${CHECKPOINT}`, bad);
          const { server, scrape } = await startWithMetrics({ dir, noTcp: true });
          await using _server = server;
          const logged = server.logs.find((l) =>
            l.msg === "Cannot use a state file; moved it aside and starting without it"
          );
          assert.ok(logged, "the reason is logged");
          assert.match(
            String(logged.err ?? logged.error ?? JSON.stringify(logged)),
            new RegExp(reason),
          );
          const m = await scrape();
          assert.equal(m.value("device_api_server_checkpoint_load_failures_total", { reason }), 1);
          const aside = [...Deno.readDirSync(`${dir}/state`)].filter((e) =>
            e.name.startsWith("checkpoint.bin.bad-")
          );
          assert.equal(aside.length, 1, "kept for inspection");
          assert.deepEqual(await Deno.readFile(`${dir}/state/${aside[0]!.name}`), bad);
          const client = server.client();
          assert.equal((await client.list()).items.length, 0, "starts empty");
          const { gpu } = await client.create(testGpu("h"));
          client.close();
          assert.ok(gpu.resourceVersion > 0);
        } finally {
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        }
      });
    }
  },
);

Deno.test("the checkpoint never exceeds its byte budget", opts, async () => {
  const limits = { maxGpus: 3, maxObjectBytes: 4096, watchHistorySize: 8 };
  await using server = await startServer({
    noTcp: true,
    args: ["--max-gpus=3", "--max-object-bytes=4096", "--watch-history-size=8"],
  });
  const budget = checkpointBudget(limits);
  const client = server.client();
  const path = `${server.dir}/${CHECKPOINT}`;
  let largest = 0;
  for (let i = 0; i < 3; i++) await client.create(testGpu(`g${i}`));
  for (let round = 0; round < 40; round++) {
    const name = `g${round % 3}`;
    // Near the object limit, with labels that change: every record at its largest.
    await client.update({
      metadata: {
        name,
        labels: { round: `r${round}`, [`k${round}`]: "v".repeat(60) },
        annotations: { pad: "x".repeat(3400 + (round % 7) * 10) },
      },
      spec: { uuid: `GPU-${name}` },
    });
    if (round % 5 === 4) {
      await new Promise((r) => setTimeout(r, 250)); // let a checkpoint land
      largest = Math.max(largest, (await Deno.stat(path)).size);
    }
  }
  client.close();
  await server.stop("SIGTERM");
  largest = Math.max(largest, (await Deno.stat(path)).size);
  assert.ok(largest > HEADER_BYTES + 3 * 3400, `a checkpoint of ${largest} bytes was written`);
  assert.ok(largest <= budget, `checkpoint of ${largest} bytes over its budget of ${budget}`);
});

Deno.test(
  "a state directory that cannot be created leaves the server serving without persistence",
  opts,
  async () => {
    // A regular file where the directory should be: mkdir fails.
    const blocker = await Deno.makeTempFile();
    try {
      await using server = await startServer({
        noTcp: true,
        args: [`--state-dir=${blocker}/state`],
      });
      assert.ok(
        server.logs.some((l) =>
          l.msg === "Cannot use the state directory; running without persistence"
        ),
      );
      const client = server.client();
      const { created } = await client.create(testGpu("g"));
      assert.equal(created, true);
      client.close();
    } finally {
      await Deno.remove(blocker);
    }
  },
);
