/**
 * An example consumer in TypeScript: watches every GPU, prints each change with its Ready
 * condition, and starts over from a fresh snapshot when the server answers OUT_OF_RANGE (after a
 * restart). Broken streams are resumed by watchResumable() with backoff.
 *
 * Run it (DEVICE_API_ENDPOINT defaults to unix:///var/run/device-api/device.sock):
 *
 * DEVICE_API_ENDPOINT=unix:///var/run/device-api/device.sock deno run -A examples/consumer.ts
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { DeviceApiClient, isInitialEventsEnd, type WatchEvent } from "../src/client/mod.ts";

const client = new DeviceApiClient(); // the endpoint comes from DEVICE_API_ENDPOINT
const stop = new AbortController();
Deno.addSignalListener("SIGTERM", () => stop.abort());

const ready = (e: WatchEvent) =>
  e.object.status?.conditions.find((c) => c.type === "Ready")?.status ?? "Unknown";

while (!stop.signal.aborted) {
  try {
    const events = client.watchResumable({ allowWatchBookmarks: true }, { signal: stop.signal });
    for await (const e of events) {
      if (isInitialEventsEnd(e)) console.log(`synced at ${e.object.metadata.resourceVersion}`);
      else if (e.type !== "BOOKMARK") {
        console.log(`${e.type} ${e.object.metadata.name} Ready=${ready(e)}`);
      }
    }
  } catch (err) {
    // OUT_OF_RANGE: the version is gone (e.g. the server restarted): start from a new snapshot.
    if ((err as { code?: number }).code !== status.OUT_OF_RANGE) throw err;
    console.log("re-listing");
  }
}
client.close();
