/**
 * The client side of tests in which a server shuts down or restarts under open streams, run in a
 * child process: Deno 2.9.6 can abort inside nghttp2 when the server's GOAWAY reaches a client
 * (denoland/deno#36788), and in a child that abort costs one retry of the scenario instead of
 * the whole test process. Prints one line per step:
 *
 * - `watch <target> <n>`: n WatchGpus streams; `ready` once each has its first event, then
 *   `ended <i> <code>` as stream i ends.
 * - `streams <target>`: a reflection and a health Watch stream; `ready` once the health status
 *   came, then `ended reflection <code>` and `ended health <code>`.
 * - `health <target>`: a health Watch of ""; `status <NAME>` per message, then `ended <code>`.
 * - `resumable <target> <retryDelayMs>`: watchResumable() of everything; `event <json>` per
 *   event (type, resourceVersion, first condition's message), `error <code>` when it throws.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { openReflection, openStream, ownConnection } from "../hostile/_streams.ts";

const HEALTH_WATCH = "/grpc.health.v1.Health/Watch";
// grpc.health.v1.HealthCheckResponse.ServingStatus by number.
const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

async function watch(target: string, n: number): Promise<void> {
  const client = new DeviceApiClient(target);
  const watches = Array.from({ length: n }, () => client.watch());
  for (const w of watches) await w.next();
  console.log("ready");
  await Promise.all(watches.map(async (w, i) => {
    const code = await w.next().then(() => grpc.status.OK, (e: { code: number }) => e.code);
    console.log(`ended ${i} ${code}`);
  }));
  client.close();
}

async function streams(target: string): Promise<void> {
  const client = ownConnection(target);
  const reflection = openReflection(client);
  const health = openStream(client, HEALTH_WATCH, { read: true });
  await health.first;
  console.log("ready");
  console.log(`ended reflection ${(await reflection.ended).code}`);
  console.log(`ended health ${(await health.ended).code}`);
  client.close();
}

async function health(target: string): Promise<void> {
  const client = ownConnection(target);
  const call = client.makeServerStreamRequest<Uint8Array, Uint8Array>(
    HEALTH_WATCH,
    (b) => Buffer.from(b),
    (b) => b,
    new Uint8Array(), // service "": the server as a whole
    new grpc.Metadata(),
  );
  // The response is field 1 (varint): [0x08, status], or empty for UNKNOWN.
  call.on("data", (m: Uint8Array) => console.log(`status ${SERVING_STATUS[m[1] ?? 0]}`));
  const code = await new Promise<number>((resolve) => {
    call.on("error", (e: grpc.ServiceError) => resolve(e.code));
    call.on("status", (s: grpc.StatusObject) => resolve(s.code));
  });
  console.log(`ended ${code}`);
  client.close();
}

async function resumable(target: string, retryDelayMs: number): Promise<void> {
  const client = new DeviceApiClient(target);
  const stop = new AbortController();
  Deno.addSignalListener("SIGTERM", () => stop.abort());
  try {
    for await (const e of client.watchResumable({}, { retryDelayMs, signal: stop.signal })) {
      const message = e.object.status.conditions[0]?.message;
      const rv = e.object.metadata.resourceVersion;
      console.log(`event ${JSON.stringify({ type: e.type, rv, message })}`);
    }
  } catch (err) {
    console.log(`error ${(err as { code?: number }).code}`);
  }
  client.close();
}

if (import.meta.main) {
  const [mode, target, arg] = Deno.args;
  if (mode === "watch") await watch(target!, Number(arg));
  else if (mode === "streams") await streams(target!);
  else if (mode === "health") await health(target!);
  else if (mode === "resumable") await resumable(target!, Number(arg));
  else throw new Error(`Cannot run mode ${mode}: expected watch, streams, health or resumable`);
}
