/**
 * Checks the NVML bindings against a real driver: enumerates, registers events, runs one wait
 * cycle, shuts down, then runs the provider for one cycle. Prints everything it sees. Not a
 * test: run it by hand on a GPU machine.
 *
 * Usage:
 *   deno run --allow-ffi --allow-read tests/nvml/device_check.ts [--library PATH] [--driver-root DIR] [--wait-ms N]
 *
 * Exits 0 when every step worked, 1 otherwise.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { findNvmlLibrary, startNvmlProvider } from "../../src/nvml/mod.ts";
import { NvmlLibrary } from "../../src/nvml/_library.ts";
import { readGpu } from "../../src/nvml/_enumerate.ts";
import { eventTypeNames, HEALTH_EVENT_MASK } from "../../src/nvml/health_policy.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    library: { type: "string" },
    "driver-root": { type: "string", default: "/" },
    "wait-ms": { type: "string", default: "1000" },
  },
});
const waitMs = Number(values["wait-ms"]);
let failures = 0;

function show(step: string, value: unknown): void {
  const text = value instanceof NvmlLibrary ? "ok" : JSON.stringify(value, replacer);
  console.log(`${step}:`, typeof value === "string" ? value : text);
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `0x${value.toString(16)}` : value;
}

function attempt<T>(step: string, fn: () => T): T | undefined {
  try {
    const value = fn();
    show(step, value);
    return value;
  } catch (err) {
    failures++;
    console.log(`${step}: FAILED: ${err instanceof Error ? `${err.name}: ${err.message}` : err}`);
    return undefined;
  }
}

const path = values.library ?? findNvmlLibrary({ driverRoot: values["driver-root"] });
show("library", path ?? "(not found)");
if (path === undefined) Deno.exit(1);

function step(name: string, fn: () => void): boolean {
  return attempt(name, () => {
    fn();
    return "ok";
  }) !== undefined;
}

const nvml = attempt("dlopen", () => NvmlLibrary.open(path));
if (nvml === undefined) Deno.exit(1);
show("event wait available", nvml.canWaitForEvents);
if (!step("nvmlInit_v2", () => nvml.init())) Deno.exit(1);
attempt("driver version", () => nvml.driverVersion());
attempt("NVML version", () => nvml.nvmlVersion());
const count = attempt("device count", () => nvml.deviceCount()) ?? 0;
const set = attempt("nvmlEventSetCreate", () => nvml.eventSetCreate());
for (let i = 0; i < count; i++) {
  const handle = attempt(`gpu ${i} handle`, () => nvml.handleByIndex(i));
  if (handle === undefined) continue;
  attempt(`gpu ${i} identity`, () => readGpu(nvml, handle));
  attempt(`gpu ${i} handle by uuid`, () => nvml.handleByUuid(nvml.uuid(handle)));
  attempt(`gpu ${i} ECC uncorrected volatile`, () => nvml.totalEccErrors(handle, 1, 0));
  attempt(`gpu ${i} remapped rows`, () => nvml.remappedRows(handle));
  const supported = attempt(`gpu ${i} supported events`, () => nvml.supportedEventTypes(handle));
  if (supported !== undefined) show(`gpu ${i} supported event names`, eventTypeNames(supported));
  if (set !== undefined && supported !== undefined) {
    const mask = supported & HEALTH_EVENT_MASK;
    step(`gpu ${i} register ${eventTypeNames(mask).join("|")}`, () => {
      nvml.registerEvents(handle, mask, set);
    });
  }
}
if (set !== undefined) {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    const event = await nvml.waitEvent(set, waitMs);
    show("one wait cycle", event ?? "TIMEOUT (no event)");
  } catch (err) {
    failures++;
    show("one wait cycle", `FAILED: ${err}`);
  } finally {
    clearInterval(timer);
  }
  show("timer ticks during the wait (should be about wait-ms / 10)", ticks);
  step("nvmlEventSetFree", () => nvml.eventSetFree(set));
}
step("nvmlShutdown", () => nvml.shutdown());
step("close library", () => nvml.close());

console.log("--- provider, one cycle ---");
const provider = await startNvmlProvider({
  libraryPath: path,
  waitTimeoutMs: Math.min(waitMs, 5000),
  writer: {
    ensureGpu(name, spec) {
      show(`ensureGpu ${name}`, spec);
      return Promise.resolve();
    },
    setConditions(name, owner, conditions) {
      show(`setConditions ${name} (${owner})`, conditions);
      return Promise.resolve();
    },
  },
  logger: {
    info: (msg, ...kv) => show("log", [msg, ...kv]),
    error: (err, msg, ...kv) => show("log error", [msg, String(err), ...kv]),
    V: () => ({ info: (msg, ...kv) => show("log v", [msg, ...kv]) }),
  },
});
show("provider", { up: provider.up, reason: provider.reason, devices: provider.devices });
if (!provider.up) failures++;
await new Promise((resolve) => setTimeout(resolve, waitMs + 100));
await provider.stop();
show("provider stopped", "ok");
console.log(failures === 0 ? "DEVICE CHECK PASSED" : `DEVICE CHECK FAILED: ${failures} step(s)`);
Deno.exit(failures === 0 ? 0 : 1);
