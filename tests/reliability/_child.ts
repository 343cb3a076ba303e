/**
 * A client process for tests that kill it: `watch <target> <n>` holds n
 * watches and reads; `write <target> <name>` writes in a loop. It prints
 * one line per step so the parent knows where it was when it died.
 *
 * @module
 */
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

if (import.meta.main) {
  const [mode, target, arg] = Deno.args;
  if (mode === "watch") await watch(target!, Number(arg));
  else if (mode === "write") await write(target!, arg!);
  else throw new Error(`Cannot run mode ${mode}: expected watch or write`);
}
