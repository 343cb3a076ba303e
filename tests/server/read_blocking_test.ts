/**
 * Read-blocking under concurrent load: a read that starts after a write's
 * response arrived never returns an older state.
 */
import assert from "node:assert/strict";
import { startServer, testGpu } from "../_helpers/server_process.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

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
      assert.ok(writes > 100 && reads > 100, `enough load: ${writes} writes, ${reads} reads`);
      assert.deepEqual(violations, []);
    } finally {
      for (const c of [...writers, ...readers]) c.close();
    }
  },
);
