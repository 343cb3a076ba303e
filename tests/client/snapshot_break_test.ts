/**
 * watchResumable() through the real server with the stream broken at every position of a
 * multi-GPU snapshot (and just after it): whatever changes while the stream is down, the
 * consumer's view ends exactly equal to the server's list, every live event comes once, in
 * order, and nothing is lost.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { DeviceApiClient, type WatchEvent, type WatchOptions } from "../../src/client/mod.ts";
import type { Clock } from "../../src/client/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";

const opts = {};
const NO_WAIT: Clock = { sleep: () => Promise.resolve() };

// A client whose first watch stream breaks (UNAVAILABLE, as a dropped connection does) after
// `breakAfter` events; `onBreak` runs while it is down. Later streams are left alone.
class BreakingClient extends DeviceApiClient {
  breakAfter = -1;
  onBreak: () => Promise<void> = () => Promise.resolve();
  opened: WatchOptions[] = [];

  override watch(o: WatchOptions = {}) {
    this.opened.push(o);
    const inner = super.watch(o);
    if (this.opened.length > 1) return inner;
    let delivered = 0;
    const breakAfter = this.breakAfter;
    const onBreak = () => this.onBreak();
    const it = {
      async next(): Promise<IteratorResult<WatchEvent>> {
        if (delivered === breakAfter) {
          inner.cancel();
          await onBreak();
          throw Object.assign(new Error("14 UNAVAILABLE: connection dropped"), {
            code: status.UNAVAILABLE,
          });
        }
        delivered++;
        return await inner.next();
      },
      return(): Promise<IteratorResult<WatchEvent>> {
        inner.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return it;
      },
      cancel: () => inner.cancel(),
    };
    return it;
  }
}

Deno.test(
  "watchResumable() ends with exactly the server's state when the stream breaks at any position of the snapshot",
  opts,
  async () => {
    await using server = await startServer({ noTcp: true });
    const writer = server.client();
    const gpus = 4;
    try {
      // Positions 0..gpus-1 break before an ADDED, gpus breaks before the end marker,
      // gpus+1 breaks after it (before the first live event).
      for (let position = 0; position <= gpus + 1; position++) {
        const namespace = `break-${position}`;
        // Created in reverse name order: later names carry older versions, the case that
        // loses objects when initial events are taken as resume points.
        for (let i = gpus - 1; i >= 0; i--) {
          await writer.create(
            testGpu(`g${i}`, `GPU-${namespace}-${i}`, { metadata: { name: `g${i}`, namespace } }),
          );
        }
        const reader = new BreakingClient(`unix://${server.socket}`);
        reader.breakAfter = position;
        reader.onBreak = async () => {
          // While the stream is down: one object changes, one goes, one comes.
          await writer.updateStatus(
            "g0",
            { conditions: [{ type: "Ready", status: "False" }] },
            0,
            namespace,
          );
          await writer.delete(`g${gpus - 1}`, namespace);
          await writer.create(
            testGpu("g9", `GPU-${namespace}-9`, { metadata: { name: "g9", namespace } }),
          );
        };
        const view = new Map<string, WatchEvent["object"]>();
        const liveVersions: number[] = [];
        const stream = reader.watchResumable({ namespace }, { clock: NO_WAIT });
        // A final write marks the point where the view must be complete.
        let sentinel = false;
        for await (const event of stream) {
          const name = event.object.metadata.name;
          if (event.type === "DELETED") view.delete(name);
          else view.set(name, event.object);
          if (reader.opened.length > 1 && event.type !== "ADDED") {
            liveVersions.push(event.object.resourceVersion);
          }
          if (name === "sentinel" && event.type === "ADDED") break;
          if (!sentinel && reader.opened.length > 1 && view.has("g9")) {
            sentinel = true;
            await writer.create(
              testGpu("sentinel", `GPU-${namespace}-s`, {
                metadata: { name: "sentinel", namespace },
              }),
            );
          }
        }
        await stream.return(undefined);
        const { items } = await writer.list({ namespace });
        assert.deepEqual(
          [...view.values()].sort((a, b) => a.metadata.name < b.metadata.name ? -1 : 1),
          items,
          `position ${position}: the view equals the server's list`,
        );
        const sorted = [...liveVersions].sort((a, b) => a - b);
        assert.deepEqual(liveVersions, sorted, `position ${position}: live events in order`);
        assert.equal(
          new Set(liveVersions).size,
          liveVersions.length,
          `position ${position}: no duplicate`,
        );
        const second = reader.opened[1]!;
        assert.equal(
          second.resourceVersion,
          position <= gpus ? "" : second.resourceVersion,
          `position ${position}: a break before the end marker re-watches from scratch`,
        );
        if (position > gpus) {
          assert.notEqual(second.resourceVersion, "", "resumes after the marker");
        }
        reader.close();
      }
    } finally {
      writer.close();
    }
  },
);
