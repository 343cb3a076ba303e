/**
 * A client process for tests that kill it: `watch <target> <n>` holds n
 * watches and reads; `write <target> <name>` writes in a loop. It prints
 * one line per step so the parent knows where it was when it died.
 * `load <target>` runs calls on 4 connections until the server stops under them (in a child
 * because the stop's GOAWAY can crash a Deno 2.9.6 client, denoland/deno#36788): it prints
 * `running` after 200 calls, then `codes <json>` (how many calls ended with each status code)
 * and `watches <json>` (the code each connection's watch ended with).
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { DeviceApiClient } from "../../src/client/mod.ts";

/** Conditions per status write; each carries the write's index. */
export const CONDITIONS = 8;
/** Size of the annotation of a spec write; each character is the write's last digit. */
export const BLOB_CHARS = 30_000;

async function watch(target: string, n: number): Promise<void> {
  const client = new DeviceApiClient(target);
  const watches = Array.from({ length: n }, () => client.watch());
  await Promise.all(watches.map((w) => w.next()));
  console.log("ready");
  for (const w of watches) {
    (async () => {
      for await (const e of w) console.log(`event ${e.object.resourceVersion}`);
    })().catch(() => {});
  }
  while (true) {
    await client.list().catch(() => {});
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function write(target: string, name: string): Promise<void> {
  const client = new DeviceApiClient(target, { provider: "child-writer" });
  for (let i = 0;; i++) {
    console.log(`sending ${i}`);
    if (i % 2 === 0) {
      await client.updateStatus(name, {
        conditions: Array.from({ length: CONDITIONS }, (_, c) => ({
          type: `Check${c}`,
          status: "True",
          message: `write ${i}`,
        })),
      });
    } else {
      await client.update({
        metadata: {
          name,
          labels: { seq: `s${i}` },
          annotations: { blob: String(i % 10).repeat(BLOB_CHARS) },
        },
        spec: { uuid: `GPU-${name}` },
      });
    }
    console.log(`acked ${i}`);
  }
}

/** GPUs `gpu-0`..`gpu-7` that `load` works on; the parent creates them as provider `load-0`. */
export const LOAD_GPUS = 8;

async function load(target: string): Promise<void> {
  const clients = Array.from({ length: 4 }, (_, i) =>
    new DeviceApiClient(target, {
      provider: `load-${i}`,
      channelOptions: { "grpc.use_local_subchannel_pool": 1 },
    }));
  const watches = clients.map(async (c) => {
    for await (const _ of c.watch()) { /* only how it ends counts */ }
  }).map((w) => w.then(() => status.OK, (e: { code: number }) => e.code));
  const codes: Record<number, number> = {};
  let calls = 0;
  const loops = Array.from({ length: LOAD_GPUS }, async (_, l) => {
    const c = clients[l % clients.length]!;
    for (let i = 0;; i++) {
      const op = i % 3 === 0
        ? c.updateStatus(`gpu-${l}`, {
          conditions: [{ type: "Ready", status: "True", message: `${i}` }],
        })
        : i % 3 === 1
        ? c.get(`gpu-${(l + i) % LOAD_GPUS}`)
        : c.list();
      const code = await op.then(() => status.OK, (e: { code: number }) => e.code);
      codes[code] = (codes[code] ?? 0) + 1;
      if (++calls === 200) console.log("running");
      if (code !== status.OK) return;
    }
  });
  await Promise.all(loops); // a hung call would end with DEADLINE_EXCEEDED, not here
  console.log(`codes ${JSON.stringify(codes)}`);
  console.log(`watches ${JSON.stringify(await Promise.all(watches))}`);
  for (const c of clients) c.close();
}

if (import.meta.main) {
  const [mode, target, arg] = Deno.args;
  if (mode === "watch") await watch(target!, Number(arg));
  else if (mode === "write") await write(target!, arg!);
  else if (mode === "load") await load(target!);
  else throw new Error(`Cannot run mode ${mode}: expected watch, write or load`);
}
