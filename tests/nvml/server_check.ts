/**
 * Checks the server's NVML provider end to end on a GPU machine: starts the server the way
 * `deno task start` does (its launcher and permission scope), waits for every GPU to be
 * published with `NVMLReady` True, prints them, then watches. A healthy idle GPU must make no
 * watch event for `--observe-seconds`. With `--fault-command`, a command that makes the driver
 * report an XID runs next (on a GPU: a CUDA kernel writing to an unmapped address raises XID 31,
 * which this check makes critical); the GPU must turn `NVMLReady` False in one watch event that
 * already carries the recommended action, and make no second event for the same fault. Ends
 * with SIGTERM, which must stop the server with status 0. Not a test: run it by hand on a GPU
 * machine; `server_check_test.ts` keeps it working against the fake library.
 *
 * Usage:
 *   deno run -A tests/nvml/server_check.ts [--library PATH] [--driver-root DIR]
 *     [--observe-seconds N] [--fault-command "SHELL COMMAND"]
 *
 * Exits 0 when every step worked, 1 otherwise.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Gpu } from "../../src/api/mod.ts";
import type { WatchEvent } from "../../src/client/mod.ts";
import { describeGpu } from "../../src/cli/describe.ts";
import { LAUNCHER, startServer } from "../_helpers/server_process.ts";
import { until } from "../_helpers/poll.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    library: { type: "string" },
    "driver-root": { type: "string", default: "/" },
    "observe-seconds": { type: "string", default: "5" },
    "fault-command": { type: "string" },
  },
});
const POLL_MS = 1000;
const NVML_DOWN = "NVML provider is down; the server keeps serving";
let failures = 0;

function fail(what: string): void {
  failures++;
  console.log(`FAILED: ${what}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A real driver's first answers and faults take seconds: wait up to 30 s, asking every 100 ms.
const REAL_DRIVER_WAIT = { timeoutMs: 30_000, intervalMs: 100 };

const ready = (gpu: Gpu) => gpu.status.conditions.find((c) => c.type === "NVMLReady");

// The operator CLI's `describe gpu` page.
const describe = (gpu: Gpu) => describeGpu(gpu, Date.now());

const started = performance.now();
await using server = await startServer({
  command: [...LAUNCHER],
  args: [
    ...(values.library ? [`--nvml-library-path=${values.library}`] : []),
    `--nvml-driver-root=${values["driver-root"]}`,
    `--nvml-poll-interval=${POLL_MS}ms`,
    "--nvml-critical-xids=31",
  ],
});
console.log(`server ready after ${Math.round(performance.now() - started)} ms`);
const client = server.client({ provider: "server-check" });
const events: WatchEvent[] = [];
let watch: { cancel(): void } | undefined;
let watching: Promise<void> = Promise.resolve();
try {
  const nvml = await server.waitForLog(
    (l) => l.msg === "NVML provider started" || l.msg === NVML_DOWN,
    30_000,
  );
  const { library, driverVersion, gpus: count, reason } = nvml;
  console.log(`${nvml.msg}: ${JSON.stringify({ library, driverVersion, gpus: count, reason })}`);
  if (nvml.msg === NVML_DOWN) throw new Error(`the NVML provider is down: ${reason}`);
  await until("every GPU with NVMLReady True", async () => {
    const items = (await client.list()).items;
    return items.length > 0 && items.every((g) => ready(g)?.status === "True");
  }, REAL_DRIVER_WAIT);
  // The signal poller's first round writes its conditions just after NVMLReady.
  await sleep(2 * POLL_MS);
  const list = await client.list();
  console.log(`${list.items.length} GPU(s):\n${list.items.map(describe).join("\n")}`);

  const stream = client.watch({ resourceVersion: list.resourceVersion });
  watch = stream;
  watching = (async () => {
    for await (const event of stream) events.push(event);
  })().catch(() => {});

  await sleep(Number(values["observe-seconds"]) * 1000);
  const idle = events.filter((e) => e.type !== "BOOKMARK");
  console.log(`watch events in ${values["observe-seconds"]} s of observing: ${idle.length}`);
  for (const e of idle) console.log(`  ${e.type}\n${describe(e.object)}`);
  if (idle.length > 0) fail("a GPU whose health did not change made watch events");

  if (values["fault-command"] !== undefined) {
    const from = events.length;
    const out = await new Deno.Command("sh", {
      args: ["-c", values["fault-command"]],
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    console.log(
      `fault command exited ${out.code}: ${text.trim().split("\n").slice(-3).join(" | ")}`,
    );
    const faulted = await until(
      "NVMLReady False in a watch event",
      () =>
        events.slice(from).find((e) =>
          e.type === "MODIFIED" && ready(e.object)?.status === "False"
        ),
      REAL_DRIVER_WAIT,
    );
    console.log(`first event after the fault:\n${describe(faulted.object)}`);
    if (faulted.object.status.recommendedAction === "") {
      fail("NVMLReady False came without its recommended action");
    }
    await sleep(2 * POLL_MS);
    const more = events.slice(events.indexOf(faulted) + 1).filter((e) =>
      e.type !== "BOOKMARK" && e.object.metadata.name === faulted.object.metadata.name
    );
    console.log(`further events for that GPU: ${more.length}`);
    if (more.length > 0) fail("one fault made more than one watch event");
  }
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
} finally {
  watch?.cancel();
  await watching;
  client.close();
}
const stopping = performance.now();
const status = await server.stop("SIGTERM");
console.log(`SIGTERM: exit ${status.code} after ${Math.round(performance.now() - stopping)} ms`);
if (status.code !== 0) fail(`the server exited with ${status.code} on SIGTERM`);
if (failures > 0) console.log(server.logs.slice(-20).map((l) => JSON.stringify(l)).join("\n"));
console.log(failures === 0 ? "SERVER CHECK PASSED" : `SERVER CHECK FAILED: ${failures} step(s)`);
Deno.exit(failures === 0 ? 0 : 1);
