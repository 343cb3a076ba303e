/**
 * WatchGpus through the real server: initial snapshot, live events, resume,
 * too-old versions, bookmarks and eviction of a watcher that stops reading.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { take } from "../_helpers/grpc_helpers.ts";

const opts = {};

Deno.test(
  "WatchGpus sends the snapshot, then live events, then resumes from a version",
  opts,
  async (t) => {
    await using server = await startServer();
    const client = server.client();
    try {
      await client.create(testGpu("gpu-a"));
      await client.create(testGpu("gpu-b"));
      let lastVersion = "";
      await t.step("initial ADDED per object, then MODIFIED and DELETED live", async () => {
        const watch = client.watch();
        const initial = await take(watch, 2);
        assert.deepEqual(initial.map((e) => [e.type, e.object.metadata.name]), [
          ["ADDED", "gpu-a"],
          ["ADDED", "gpu-b"],
        ]);
        await client.updateStatus("gpu-a", {
          conditions: [{ type: "Ready", status: "False", reason: "XidCriticalError" }],
        });
        await client.delete("gpu-b");
        await client.create(testGpu("gpu-c"));
        const live = await take(watch, 3);
        assert.deepEqual(live.map((e) => [e.type, e.object.metadata.name]), [
          ["MODIFIED", "gpu-a"],
          ["DELETED", "gpu-b"],
          ["ADDED", "gpu-c"],
        ]);
        assert.equal(live[0]!.object.status.conditions[0]!.status, "False");
        const versions = live.map((e) => e.object.resourceVersion);
        assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
        assert.ok(
          live[1]!.object.resourceVersion > live[0]!.object.resourceVersion,
          "DELETED carries the delete's version",
        );
        lastVersion = live[0]!.object.metadata.resourceVersion;
        watch.cancel();
      });
      await t.step("resume after a version replays exactly the later events", async () => {
        const watch = client.watch({ resourceVersion: lastVersion });
        const replay = await take(watch, 2);
        assert.deepEqual(replay.map((e) => [e.type, e.object.metadata.name]), [
          ["DELETED", "gpu-b"],
          ["ADDED", "gpu-c"],
        ]);
        watch.cancel();
      });
      await t.step("a version older than the history is OUT_OF_RANGE", async () => {
        const watch = client.watch({ resourceVersion: "1" });
        await assert.rejects(watch.next(), (e: { code: number; details: string }) => {
          assert.equal(e.code, status.OUT_OF_RANGE);
          assert.match(e.details, /re-list/);
          return true;
        });
      });
      await t.step("a negative or non-numeric version is INVALID_ARGUMENT", async () => {
        for (const rv of ["-5", "abc", "99999999999999999999"]) {
          await assert.rejects(
            client.watch({ resourceVersion: rv }).next(),
            (e: { code: number }) => e.code === status.INVALID_ARGUMENT,
          );
        }
      });
      await t.step("bookmarks only when asked, carrying only the resource version", async () => {
        const watch = client.watch({ allowWatchBookmarks: true });
        const events = await take(watch, 3);
        assert.deepEqual(events.map((e) => e.type), ["ADDED", "ADDED", "BOOKMARK"]);
        const bookmark = events[2]!.object;
        assert.equal(bookmark.metadata.name, "");
        assert.ok(Number(bookmark.metadata.resourceVersion) >= events[1]!.object.resourceVersion);
        watch.cancel();
      });
      await t.step("a label selector turns objects that stop matching into DELETED", async () => {
        await client.update({
          metadata: { name: "gpu-c", labels: { pool: "x" } },
          spec: { uuid: "GPU-gpu-c" },
        });
        const watch = client.watch({ labelSelector: "pool=x" });
        const [added] = await take(watch, 1);
        assert.equal(added!.object.metadata.name, "gpu-c");
        await client.update({
          metadata: { name: "gpu-c", labels: { pool: "y" } },
          spec: { uuid: "GPU-gpu-c" },
        });
        const [gone] = await take(watch, 1);
        assert.equal(gone!.type, "DELETED");
        watch.cancel();
      });
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "WatchGpus evicts a watcher that stops reading with RESOURCE_EXHAUSTED, others keep up",
  opts,
  async () => {
    await using server = await startServer({ args: ["--watch-queue-size=8"] });
    const writer = server.client();
    const slowClient = server.client();
    const fastClient = server.client();
    try {
      await writer.create(
        testGpu("gpu-0", "GPU-0", {
          metadata: { name: "gpu-0", annotations: { pad: "p".repeat(4000) } },
        }),
      );
      // The slow watcher reads its first event, then stops reading: the stream is paused.
      const slow = slowClient.grpc as unknown as {
        WatchGpus: (req: unknown) => import("@grpc/grpc-js").ClientReadableStream<unknown>;
      };
      const slowCall = slow.WatchGpus({ opts: {} });
      let slowError: { code: number; details: string } | undefined;
      const slowEnded = new Promise<void>((resolve) => {
        slowCall.on("error", (e) => {
          slowError = e as never;
          resolve();
        });
        slowCall.on("end", () => resolve());
      });
      await new Promise<void>((resolve) => slowCall.once("data", () => resolve()));
      slowCall.pause();

      const fast = fastClient.watch({ resourceVersion: "0" });
      await take(fast, 1);
      const updates = 400;
      const fastEvents = take(fast, updates); // a healthy watcher reads while the writer writes
      for (let i = 0; i < updates; i++) {
        await writer.updateStatus("gpu-0", {
          conditions: [{ type: "Ready", status: i % 2 ? "True" : "False", message: `update ${i}` }],
        });
      }
      const events = await fastEvents;
      assert.deepEqual(
        events.map((e) => e.object.status.conditions[0]!.message),
        Array.from({ length: updates }, (_, i) => `update ${i}`),
      );
      await server.waitForLog((l) => l.msg === "Evicted a watcher that fell behind");
      slowCall.resume(); // read what was buffered, then the status
      await slowEnded;
      assert.equal(slowError?.code, status.RESOURCE_EXHAUSTED);
      assert.match(slowError!.details, /re-list and re-watch/);
      fast.cancel();
    } finally {
      writer.close();
      slowClient.close();
      fastClient.close();
    }
  },
);

Deno.test("WatchGpus refuses watchers beyond the limit with RESOURCE_EXHAUSTED", opts, async () => {
  await using server = await startServer({ args: ["--max-watchers=2"] });
  const client = server.client();
  try {
    await client.create(testGpu("g"));
    const w1 = client.watch();
    const w2 = client.watch();
    await take(w1, 1);
    await take(w2, 1);
    await assert.rejects(
      client.watch().next(),
      (e: { code: number }) => e.code === status.RESOURCE_EXHAUSTED,
    );
    w1.cancel();
    // The slot frees once the server sees the cancellation.
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      const w = client.watch();
      try {
        await take(w, 1);
        ok = true;
        w.cancel();
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(ok, "a cancelled watcher frees its slot");
    w2.cancel();
  } finally {
    client.close();
  }
});
