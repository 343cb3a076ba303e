/**
 * DeviceApiClient.watchResumable() through the real server: it resumes after
 * an eviction without losing or repeating events, and stops with
 * OUT_OF_RANGE when the server restarted (versions from the old run).
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { WatchEvent } from "../../src/client/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { ChildClient, retryChildCrash, SHUTDOWN_CLIENT } from "../_helpers/child_client.ts";

const opts = {};

Deno.test(
  "watchResumable() resumes after an eviction and delivers every event once, in order",
  opts,
  async () => {
    await using server = await startServer({ args: ["--watch-queue-size=4"] });
    const writer = server.client();
    const reader = server.client();
    try {
      const pad = {
        metadata: { name: "g", annotations: { pad: "x".repeat(8000) } },
        spec: { uuid: "GPU-g" },
      };
      await writer.create(pad);
      const stream = reader.watchResumable({}, { retryDelayMs: 50 });
      const first = await stream.next();
      assert.equal((first.value as WatchEvent).type, "ADDED");
      // The reader does not pull while 200 large updates go out: the server evicts it.
      const updates = 200;
      for (let i = 0; i < updates; i++) {
        await writer.updateStatus("g", {
          conditions: [{ type: "Ready", status: "True", message: `u${i}` }],
        });
      }
      await server.waitForLog((l) => l.msg === "Evicted a watcher that fell behind");
      const messages: string[] = [];
      while (messages.length < updates) {
        const { value } = await stream.next();
        messages.push((value as WatchEvent).object.status.conditions[0]!.message);
      }
      assert.deepEqual(messages, Array.from({ length: updates }, (_, i) => `u${i}`));
      await stream.return(undefined);
    } finally {
      writer.close();
      reader.close();
    }
  },
);

Deno.test(
  "watchResumable() throws OUT_OF_RANGE after a restart without a state directory, so the consumer re-lists",
  opts,
  async () => {
    // Without --state-dir nothing survives the restart (tests/state covers resuming with one).
    const args = ["--state-dir="];
    // The watch runs in a child process (a crash of a runtime is retried there), and the restart
    // follows a crash: the GOAWAY of a graceful stop crashes a Deno 2.9.6 client that is still
    // connected (denoland/deno#36788) in about one run of three; a dropped connection ends the
    // watch with UNAVAILABLE as well.
    await retryChildCrash(async (track) => {
      const first = track(await startServer({ noTcp: true, args }));
      const dir = first.dir;
      try {
        const writer = first.client();
        await writer.create(testGpu("g"));
        writer.close();
        const consumer = track(
          new ChildClient([SHUTDOWN_CLIENT, "resumable", `unix://${first.socket}`, "50"]),
        );
        const at = await consumer.waitFor(/^event /);
        const added = JSON.parse(consumer.out.all[at]!.slice("event ".length));
        assert.equal(added.type, "ADDED");
        assert.equal((await first.stop("SIGKILL")).signal, "SIGKILL");
        // While the server is down the watch keeps retrying; a new run on the same socket answers.
        await using second = track(await startServer({ dir, noTcp: true, args }));
        await consumer.waitFor(/^error /, at);
        assert.deepEqual(consumer.out.all.slice(at + 1), [`error ${status.OUT_OF_RANGE}`]);
        const relist = second.client();
        const { resourceVersion } = await relist.list();
        assert.ok(Number(resourceVersion) > Number(added.rv), "versions did not go backwards");
        relist.close();
      } finally {
        await first[Symbol.asyncDispose]();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    });
  },
);
