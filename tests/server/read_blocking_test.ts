/**
 * Read-blocking through the real server: a read that arrives while writes
 * hold or wait for the store's lock waits for them, and a read that starts
 * after a write's response arrived never returns an older state.
 */
import assert from "node:assert/strict";
import { startServer, testGpu } from "../_helpers/server_process.ts";

const opts = {};

Deno.test(
  "reads that start after a write was acknowledged never observe an older version",
  opts,
  async () => {
    await using server = await startServer();
    const writers = Array.from({ length: 4 }, (_, i) => server.client({ provider: `writer-${i}` }));
    const readers = Array.from({ length: 8 }, () => server.client());
    const gpus = ["gpu-0", "gpu-1", "gpu-2", "gpu-3"];
    const acked = new Map<string, number>(); // highest acknowledged version per GPU
    let maxAcked = 0;
    let reads = 0;
    let writes = 0;
    const violations: string[] = [];
    try {
      for (const name of gpus) {
        const { gpu } = await writers[0]!.create(testGpu(name));
        acked.set(name, gpu.resourceVersion);
        maxAcked = Math.max(maxAcked, gpu.resourceVersion);
      }
      const deadline = Date.now() + 3000;
      const writeLoop = async (w: number) => {
        let i = 0;
        while (Date.now() < deadline) {
          const name = gpus[w]!;
          const gpu = await writers[w]!.updateStatus(name, {
            conditions: [{ type: "Ready", status: i++ % 2 ? "True" : "False", reason: "Load" }],
          });
          writes++;
          acked.set(name, Math.max(acked.get(name)!, gpu.resourceVersion));
          maxAcked = Math.max(maxAcked, gpu.resourceVersion);
        }
      };
      const readLoop = async (r: number) => {
        let i = 0;
        while (Date.now() < deadline) {
          const name = gpus[(r + i++) % gpus.length]!;
          if (i % 4 === 0) {
            const floor = maxAcked; // every write acknowledged before this read started
            const list = await readers[r]!.list();
            if (Number(list.resourceVersion) < floor) {
              violations.push(
                `list at ${list.resourceVersion} < ${floor}`,
              );
            }
          } else {
            const floor = acked.get(name)!;
            const gpu = await readers[r]!.get(name);
            if (gpu.resourceVersion < floor) {
              violations.push(
                `get ${name} at ${gpu.resourceVersion} < ${floor}`,
              );
            }
          }
          reads++;
        }
      };
      await Promise.all([
        ...writers.map((_, w) => writeLoop(w)),
        ...readers.map((_, r) => readLoop(r)),
      ]);
      assert.ok(writes > 20 && reads > 20, `enough load: ${writes} writes, ${reads} reads`);
      assert.deepEqual(violations, []);
    } finally {
      for (const c of [...writers, ...readers]) c.close();
    }
  },
);

Deno.test(
  "a read sent right after writes on one connection waits for them (the store's lock)",
  opts,
  async () => {
    await using server = await startServer();
    const client = server.client({ provider: "writer" });
    const violations: string[] = [];
    try {
      await client.create(testGpu("gpu-0"));
      for (let round = 0; round < 40; round++) {
        // Eight writes, then a read, all on one HTTP/2 connection without waiting: the server
        // receives the read while the writes hold or wait for the lock. Each write changes the
        // status, so each commits a new version.
        const writes = Array.from({ length: 8 }, (_, i) =>
          client.updateStatus("gpu-0", {
            conditions: [{ type: "Ready", status: i % 2 ? "True" : "False", reason: "Load" }],
          }));
        const read = client.get("gpu-0");
        const last = Math.max(...(await Promise.all(writes)).map((g) => g.resourceVersion));
        const seen = (await read).resourceVersion;
        if (seen < last) violations.push(`round ${round}: read ${seen} < last write ${last}`);
      }
      assert.deepEqual(violations, []);
    } finally {
      client.close();
    }
  },
);
