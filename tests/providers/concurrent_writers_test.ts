/**
 * Two providers writing different conditions of one GPU at the same time,
 * through the real server: condition-level writes lose nothing.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { ProviderClient, WatchEvent } from "../../src/client/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { collectEvents, OPTS, providerClient } from "./_server.ts";

const WRITE_FOR_MS = 2000;

interface Tally {
  /** Sequence number of the provider's last successful write. */
  last: number;
}

// Writes `<Name>Seq` (message: the sequence number) and `<Name>Ready` as
// read-modify-write with the GPU's version as precondition, retrying on
// ABORTED; any other failure fails the test.
async function writeUntil(client: ProviderClient, type: string, deadline: number): Promise<Tally> {
  const tally: Tally = { last: 0 };
  for (let seq = 1; Date.now() < deadline; seq++) {
    while (true) {
      const gpu = await client.get("gpu-0");
      try {
        await client.setConditions("gpu-0", {
          set: [
            { type: `${type}Seq`, status: "True", reason: "Counting", message: String(seq) },
            { type: `${type}Ready`, status: seq % 2 ? "True" : "False", reason: "Checked" },
          ],
          resourceVersion: gpu.resourceVersion,
        });
        tally.last = seq;
        break;
      } catch (err) {
        if ((err as { code?: number }).code !== status.ABORTED) throw err;
      }
    }
  }
  return tally;
}

function seqOf(event: WatchEvent, type: string): number | undefined {
  const c = event.object.status.conditions.find((c) => c.type === `${type}Seq`);
  return c ? Number(c.message) : undefined;
}

Deno.test(
  "SetConditions from two providers on one GPU keeps both providers' latest conditions",
  OPTS,
  async () => {
    await using server = await startServer();
    const admin = server.client();
    const alpha = providerClient(server, "alpha");
    const beta = providerClient(server, "beta");
    const watcher = server.client();
    try {
      const { gpu } = await admin.create(testGpu("gpu-0"));
      // Read while the providers write, so that the watcher never falls behind.
      const watch = watcher.watch({ resourceVersion: String(gpu.resourceVersion) });
      const collector = collectEvents(watch);
      const deadline = Date.now() + WRITE_FOR_MS;
      const [a, b] = await Promise.all([
        writeUntil(alpha, "Alpha", deadline),
        writeUntil(beta, "Beta", deadline),
      ]);
      assert.ok(a.last > 0 && b.last > 0, "both providers wrote");

      const final = await admin.get("gpu-0");
      const byType = new Map(final.status.conditions.map((c) => [c.type, c]));
      assert.equal(byType.get("AlphaSeq")?.message, String(a.last));
      assert.equal(byType.get("BetaSeq")?.message, String(b.last));
      assert.equal(byType.get("AlphaReady")?.status, a.last % 2 ? "True" : "False");
      assert.equal(byType.get("BetaReady")?.status, b.last % 2 ? "True" : "False");
      for (const [type, owner] of [["Alpha", "alpha"], ["Beta", "beta"]]) {
        assert.equal(byType.get(`${type}Seq`)?.owner, owner);
        assert.equal(byType.get(`${type}Ready`)?.owner, owner);
      }
      assert.equal(final.status.conditions.length, 4);

      // Every intermediate state too: once a provider's condition exists it
      // never disappears, and its sequence never goes back.
      await collector.until((e) => e.object.resourceVersion === final.resourceVersion);
      const events = collector.events;
      const seen = { Alpha: 0, Beta: 0 };
      for (const event of events) {
        assert.equal(event.type, "MODIFIED");
        for (const type of ["Alpha", "Beta"] as const) {
          const seq = seqOf(event, type);
          if (seen[type] > 0) {
            assert.ok(seq !== undefined && seq >= seen[type], `${type} went back`);
          }
          if (seq !== undefined) seen[type] = seq;
        }
      }
      assert.deepEqual(seen, { Alpha: a.last, Beta: b.last });
      watch.cancel();
    } finally {
      for (const c of [admin, alpha, beta, watcher]) c.close();
    }
  },
);
