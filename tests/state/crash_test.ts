/**
 * The durability guarantee under SIGKILL (docs/api.md, "Durability"): a
 * write acknowledged more than one coalescing interval plus one checkpoint
 * write before the kill is present after the restart; what is present is a
 * prefix of the acknowledged writes (never a hole); and versions handed out
 * before the kill are never handed out again.
 */
import assert from "node:assert/strict";
import { CHECKPOINT_INTERVAL_MS } from "../../src/state/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";

const opts = {};
// Generous bound on writing one checkpoint on a loaded test machine; the
// guarantee itself is one interval plus one checkpoint write.
const WRITE_ALLOWANCE_MS = 1000;

Deno.test(
  "every write acknowledged well before a SIGKILL mid-burst is present after the restart",
  opts,
  async () => {
    const first = await startServer({ noTcp: true, args: ["--max-gpus=65536"] });
    const dir = first.dir;
    try {
      const writer = first.client({ provider: "burst" });
      const acked: { name: string; at: number; version: number }[] = [];
      const burstUntil = performance.now() + 2000;
      let killedAt = 0;
      const kill = (async () => {
        while (performance.now() < burstUntil) await new Promise((r) => setTimeout(r, 20));
        killedAt = performance.now();
        await first.stop("SIGKILL");
      })();
      for (let i = 0; killedAt === 0; i++) {
        const name = `gpu-${i}`;
        try {
          const { gpu } = await writer.create(testGpu(name));
          if (killedAt === 0) {
            acked.push({ name, at: performance.now(), version: gpu.resourceVersion });
          }
        } catch {
          break; // the server is gone
        }
      }
      await kill;
      writer.close();
      assert.ok(acked.length > 10, `a burst of ${acked.length} writes`);

      await using second = await startServer({ dir, noTcp: true, args: ["--max-gpus=65536"] });
      const reader = second.client();
      const present = new Set((await reader.list()).items.map((g) => g.metadata.name));
      const kept = acked.findIndex((a) => !present.has(a.name));
      const prefix = kept === -1 ? acked.length : kept;
      for (const a of acked.slice(prefix)) {
        assert.ok(!present.has(a.name), `${a.name} is present after a lost write: a hole`);
      }
      const durableBefore = killedAt - CHECKPOINT_INTERVAL_MS - WRITE_ALLOWANCE_MS;
      for (const a of acked.slice(prefix)) {
        assert.ok(
          a.at >= durableBefore,
          `${a.name}, acknowledged ${Math.round(killedAt - a.at)} ms before the kill, was lost`,
        );
      }
      assert.ok(prefix > 0, "the burst reached the checkpoint");
      const next = await reader.create(testGpu("after"));
      const highest = Math.max(...acked.map((a) => a.version));
      assert.ok(next.gpu.resourceVersion > highest, "no version is handed out twice");
      reader.close();
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
