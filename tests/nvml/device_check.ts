/**
 * Checks the NVML bindings against a real driver: enumerates, reads every polled signal
 * (remapped rows, retired pages, ECC counts, clock event reasons, temperature and thresholds),
 * registers events, runs one wait cycle, shuts down, then runs the provider for one cycle.
 * Prints everything it sees, and how long each polled call takes (median and slowest of
 * `--repeat` rounds, in µs, as the poller makes them: nonblocking, one at a time). Not a test:
 * run it by hand on a GPU machine. Every call is nonblocking: a timer counts ticks across the
 * run to show the event loop never stalled.
 *
 * Usage:
 *   deno run --allow-ffi --allow-read tests/nvml/device_check.ts [--library PATH] [--driver-root DIR]
 *     [--wait-ms N] [--repeat N]
 *
 * Exits 0 when every step worked, 1 otherwise.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { findNvmlLibrary, NvmlError, NvmlReturn, startNvmlProvider } from "../../src/nvml/mod.ts";
import { NvmlLibrary } from "../../src/nvml/_library.ts";
import { readGpu } from "../../src/nvml/_enumerate.ts";
import { eventTypeNames, HEALTH_EVENT_MASK } from "../../src/nvml/health_policy.ts";
import { clockReasonNames } from "../../src/nvml/signals.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    library: { type: "string" },
    "driver-root": { type: "string", default: "/" },
    "wait-ms": { type: "string", default: "1000" },
    "call-timeout-ms": { type: "string", default: "5000" },
    repeat: { type: "string", default: "50" },
  },
});
const waitMs = Number(values["wait-ms"]);
const repeat = Number(values.repeat);
let failures = 0;

function show(step: string, value: unknown): void {
  const text = value instanceof NvmlLibrary ? "ok" : JSON.stringify(value, replacer);
  console.log(`${step}:`, typeof value === "string" ? value : text);
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `0x${value.toString(16)}` : value;
}

async function attempt<T>(step: string, fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    const value = await fn();
    show(step, value);
    return value;
  } catch (err) {
    // A GPU may lack a signal (retired pages on Ampere+, row remapping under MIG): not a failure.
    if (err instanceof NvmlError && err.code === NvmlReturn.NOT_SUPPORTED) {
      console.log(`${step}: NOT_SUPPORTED on this GPU`);
      return undefined;
    }
    failures++;
    console.log(`${step}: FAILED: ${err instanceof Error ? `${err.name}: ${err.message}` : err}`);
    return undefined;
  }
}

const path = values.library ?? findNvmlLibrary({ driverRoot: values["driver-root"] });
show("library", path ?? "(not found)");
if (path === undefined) Deno.exit(1);

/** Median and slowest time of each call the signal poller makes, but those the GPU or library lack. */
async function timeCalls(
  nvml: NvmlLibrary,
  handle: bigint,
): Promise<Record<string, string>> {
  const calls: Record<string, () => Promise<unknown>> = {
    remappedRows: () => nvml.remappedRows(handle),
    retiredPagesPending: () => nvml.retiredPagesPending(handle),
    retiredPageCount: () => nvml.retiredPageCount(handle, 0),
    totalEccErrors: () => nvml.totalEccErrors(handle, 1, 0),
    clockEventReasons: () => nvml.clockEventReasons(handle),
    temperature: () => nvml.temperature(handle),
  };
  const out: Record<string, string> = {};
  for (const [name, call] of Object.entries(calls)) {
    const took: number[] = [];
    let lacking = false;
    try {
      for (let n = 0; n < repeat; n++) {
        const start = performance.now();
        lacking = await call() === null; // the library lacks the call: nothing to time
        if (lacking) break;
        took.push((performance.now() - start) * 1000);
      }
    } catch (err) {
      if (err instanceof NvmlError && err.code === NvmlReturn.NOT_SUPPORTED) continue;
      throw err;
    }
    if (lacking || took.length === 0) continue;
    took.sort((a, b) => a - b);
    out[name] = `${Math.round(took[took.length >> 1]!)}/${Math.round(took[took.length - 1]!)}`;
  }
  return out;
}

async function step(name: string, fn: () => unknown): Promise<boolean> {
  return await attempt(name, async () => {
    await fn();
    return "ok";
  }) !== undefined;
}

const nvml = await attempt(
  "dlopen",
  () => NvmlLibrary.open(path, Number(values["call-timeout-ms"])),
);
if (nvml === undefined) Deno.exit(1);
show("event wait available", nvml.canWaitForEvents);
show("optional calls", nvml.capabilities);
if (!await step("nvmlInit_v2", () => nvml.init())) Deno.exit(1);
await attempt("driver version", () => nvml.driverVersion());
await attempt("NVML version", () => nvml.nvmlVersion());
const count = await attempt("device count", () => nvml.deviceCount()) ?? 0;
const set = await attempt("nvmlEventSetCreate", () => nvml.eventSetCreate());
let loopTicks = 0;
const loopTimer = setInterval(() => loopTicks++, 10);
const started = performance.now();
for (let i = 0; i < count; i++) {
  const handle = await attempt(`gpu ${i} handle`, () => nvml.handleByIndex(i));
  if (handle === undefined) continue;
  await attempt(`gpu ${i} identity`, () => readGpu(nvml, handle));
  await attempt(
    `gpu ${i} handle by uuid`,
    async () => nvml.handleByUuid(await nvml.uuid(handle)),
  );
  await attempt(`gpu ${i} ECC uncorrected volatile`, () => nvml.totalEccErrors(handle, 1, 0));
  await attempt(`gpu ${i} ECC corrected volatile`, () => nvml.totalEccErrors(handle, 0, 0));
  await attempt(`gpu ${i} remapped rows`, () => nvml.remappedRows(handle));
  await attempt(`gpu ${i} retired pages pending`, () => nvml.retiredPagesPending(handle));
  await attempt(`gpu ${i} retired pages (SBE)`, () => nvml.retiredPageCount(handle, 0));
  await attempt(`gpu ${i} retired pages (DBE)`, () => nvml.retiredPageCount(handle, 1));
  const reasons = await attempt(
    `gpu ${i} clock event reasons`,
    () => nvml.clockEventReasons(handle),
  );
  if (reasons !== undefined && reasons !== null) {
    show(`gpu ${i} clock event reason names`, clockReasonNames(reasons));
  }
  await attempt(`gpu ${i} temperature`, () => nvml.temperature(handle));
  await attempt(`gpu ${i} slowdown threshold`, () => nvml.temperatureThreshold(handle, 1));
  await attempt(`gpu ${i} shutdown threshold`, () => nvml.temperatureThreshold(handle, 0));
  await attempt(`gpu ${i} polled call µs (median/max of ${repeat})`, () => timeCalls(nvml, handle));
  const supported = await attempt(
    `gpu ${i} supported events`,
    () => nvml.supportedEventTypes(handle),
  );
  if (supported !== undefined) show(`gpu ${i} supported event names`, eventTypeNames(supported));
  if (set !== undefined && supported !== undefined) {
    const mask = supported & HEALTH_EVENT_MASK;
    await step(
      `gpu ${i} register ${eventTypeNames(mask).join("|")}`,
      () => nvml.registerEvents(handle, mask, set),
    );
  }
}
if (set !== undefined) {
  try {
    const event = await nvml.waitEvent(set, waitMs);
    show("one wait cycle", event ?? "TIMEOUT (no event)");
  } catch (err) {
    failures++;
    show("one wait cycle", `FAILED: ${err}`);
  }
  await step("nvmlEventSetFree", () => nvml.eventSetFree(set));
}
clearInterval(loopTimer);
const elapsed = performance.now() - started;
show("timer ticks during the calls (should be about elapsed ms / 10)", {
  ticks: loopTicks,
  elapsedMs: Math.round(elapsed),
});
await step("nvmlShutdown", () => nvml.shutdown());
await step("close library", () => nvml.close());

console.log("--- provider, one cycle ---");
const provider = startNvmlProvider({
  libraryPath: path,
  waitTimeoutMs: Math.min(waitMs, 5000),
  writer: {
    ensureGpu(name, spec) {
      show(`ensureGpu ${name}`, spec);
      return Promise.resolve();
    },
    writeStatus(name, conditions, action) {
      show(`writeStatus ${name}`, { conditions, action });
      return Promise.resolve(true);
    },
  },
  logger: {
    info: (msg, ...kv) => show("log", [msg, ...kv]),
    error: (err, msg, ...kv) => show("log error", [msg, String(err), ...kv]),
    V: () => ({ info: (msg, ...kv) => show("log v", [msg, ...kv]) }),
  },
});
await provider.started;
show("provider", { up: provider.up, reason: provider.reason, devices: provider.devices });
if (!provider.up) failures++;
await new Promise((resolve) => setTimeout(resolve, waitMs + 100));
await provider.stop();
show("provider stopped", "ok");
console.log(failures === 0 ? "DEVICE CHECK PASSED" : `DEVICE CHECK FAILED: ${failures} step(s)`);
Deno.exit(failures === 0 ? 0 : 1);
