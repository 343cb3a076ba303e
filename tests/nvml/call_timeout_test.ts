/** NvmlLibrary's per-call limit, against the fake library's delay knobs. */
import assert from "node:assert/strict";
import { NvmlCallTimeout, NvmlReturn } from "../../src/nvml/mod.ts";
import { NvmlLibrary } from "../../src/nvml/_library.ts";
import { buildFakeNvml } from "./build_fake.ts";
import { FakeControl } from "./fake_control.ts";

async function openFake(commands: string[], callTimeoutMs: number) {
  const dir = await Deno.makeTempDir({ prefix: "fake-nvml-timeout-" });
  const path = `${dir}/libnvidia-ml.so.1`;
  await Deno.copyFile(await buildFakeNvml(), path);
  await Deno.writeTextFile(`${dir}/control`, commands.map((c) => `${c}\n`).join(""));
  const control = new FakeControl(path);
  control.configure(2, 0, `${dir}/control`);
  const nvml = NvmlLibrary.open(path, callTimeoutMs);
  await nvml.init();
  return {
    nvml,
    control,
    async [Symbol.asyncDispose]() {
      assert.ok(await nvml.whenIdle(5000), "calls still in flight");
      await nvml.shutdown();
      nvml.close();
      control[Symbol.dispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("NvmlLibrary rejects a call past its limit and refuses that GPU until it returns", async () => {
  await using f = await openFake(["delay-lost 2000"], 500);
  const gpu0 = await f.nvml.handleByIndex(0);
  const gpu1 = await f.nvml.handleByIndex(1);
  f.control.setLost(1, true);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = performance.now();
  await assert.rejects(() => f.nvml.memoryTotalBytes(gpu1), (err: unknown) => {
    assert.ok(err instanceof NvmlCallTimeout);
    assert.equal(err.code, NvmlReturn.TIMEOUT);
    assert.match(err.message, /get memory info: NVML did not answer within 500ms/);
    return true;
  });
  clearInterval(timer);
  assert.ok(ticks > 0, "the event loop stalled during the call");
  assert.ok(performance.now() - started < 2000, "the caller waited for the hung call");
  assert.equal(f.nvml.isHung(gpu1), true);
  // No second thread for the same GPU: refused at once, naming the hung call.
  await assert.rejects(() => f.nvml.uuid(gpu1), /an earlier call is still hung: get memory info/);
  // Other GPUs answer meanwhile.
  assert.equal((await f.nvml.uuid(gpu0)).startsWith("GPU-"), true);
  assert.ok(await f.nvml.whenIdle(5000));
  assert.equal(f.nvml.isHung(gpu1), false);
  // Once the hung call returned, the GPU is called again.
  f.control.setLost(1, false);
  assert.match(await f.nvml.uuid(gpu1), /^GPU-/);
});

Deno.test("NvmlLibrary.close() refuses while a call is in flight", async () => {
  await using f = await openFake(["delay-query 300"], 1000);
  const gpu0 = await f.nvml.handleByIndex(0);
  const call = f.nvml.uuid(gpu0);
  assert.equal(f.nvml.inflight, 1);
  assert.throws(() => f.nvml.close(), /1 call\(s\) in flight/);
  assert.match(await call, /^GPU-/);
  assert.equal(f.nvml.inflight, 0);
});

Deno.test("NvmlLibrary.init() is not limited: a slow nvmlInit just takes its time", async () => {
  await using f = await openFake(["delay-init 1500"], 500);
  // openFake's init already took 1.5 s under a 500 ms call limit without failing.
  assert.equal(f.control.initCount(), 1);
});
