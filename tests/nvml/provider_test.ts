import assert from "node:assert/strict";
import { NVML_PROVIDER_NAME, startNvmlProvider } from "../../src/nvml/mod.ts";
import { fakeGpuName, fakeUuid, startHarness } from "./harness.ts";
import { CaptureLogger, MemoryWriter } from "./memory_writer.ts";

Deno.test("startNvmlProvider() publishes every GPU with its NVML identity", async () => {
  await using h = await startHarness({ gpus: 3, commands: ["no-serial 2"] });
  assert.equal(h.provider.up, true);
  assert.equal(h.provider.reason, "");
  assert.equal(h.provider.devices, 3);
  assert.equal(h.provider.libraryPath, h.libraryPath);
  assert.equal(h.provider.driverVersion, "550.54.15");
  assert.deepEqual([...h.writer.gpus.keys()].sort(), [0, 1, 2].map(fakeGpuName).sort());
  assert.deepEqual(h.writer.gpus.get(fakeGpuName(0))?.spec, {
    uuid: "GPU-3f2504e0-4f89-11d3-9a0c-0305e82c3300",
    productName: "NVIDIA H100 80GB HBM3",
    pciBusId: "00000000:18:00.0",
    index: 0,
    minorNumber: 2,
    memoryTotalBytes: 80 * 2 ** 30,
    serial: "1650023000001",
  });
  assert.deepEqual(h.writer.gpus.get(fakeGpuName(1))?.spec, {
    uuid: fakeUuid(1),
    productName: "NVIDIA A100-SXM4-40GB",
    pciBusId: "00000000:28:00.0",
    index: 1,
    minorNumber: 1,
    memoryTotalBytes: 40 * 2 ** 30,
    serial: "1650023000002",
  });
  assert.equal(h.writer.gpus.get(fakeGpuName(2))?.spec.serial, "");
  assert.equal(h.writer.gpus.get(fakeGpuName(2))?.spec.pciBusId, "00000000:38:00.0");
});

Deno.test("startNvmlProvider() names a GPU by its lower-cased UUID", async () => {
  await using h = await startHarness();
  for (const [name, gpu] of h.writer.gpus) {
    assert.equal(name, gpu.spec.uuid.toLowerCase());
    assert.match(
      gpu.spec.uuid,
      /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  }
});

Deno.test("startNvmlProvider() marks monitored GPUs NVMLReady True NVMLHealthy", async () => {
  await using h = await startHarness();
  for (const index of [0, 1]) {
    const ready = h.writer.ready(fakeGpuName(index));
    assert.equal(ready?.status, "True");
    assert.equal(ready?.reason, "NVMLHealthy");
    assert.equal(ready?.owner, NVML_PROVIDER_NAME);
    assert.match(ready?.message ?? "", /XidCriticalError/);
  }
});

Deno.test("startNvmlProvider() loads an old-driver library through the fallbacks", async () => {
  await using h = await startHarness({ oldDriver: true });
  assert.equal(h.provider.up, true);
  assert.equal(h.provider.driverVersion, "418.226.00");
  assert.equal(h.writer.gpus.get(fakeGpuName(1))?.spec.pciBusId, "00000000:28:00.0");
  assert.equal(h.writer.ready(fakeGpuName(0))?.reason, "NVMLHealthy");
  // Events arrive through the legacy nvmlEventSetWait.
  h.control.xid(1, 79);
  await h.writer.waitForReady(fakeGpuName(1), "False", "XidCriticalError");
});

Deno.test("startNvmlProvider() is down, without throwing, when the library is missing", async () => {
  const logger = new CaptureLogger();
  const provider = await startNvmlProvider({
    writer: new MemoryWriter(),
    logger,
    libraryPath: "/nonexistent/libnvidia-ml.so.1",
  });
  assert.equal(provider.up, false);
  assert.equal(provider.devices, 0);
  assert.match(provider.reason, /^Cannot load NVML library \/nonexistent\/libnvidia-ml\.so\.1/);
  assert.equal(logger.lines.filter((l) => l.msg.includes("down")).length, 1);
  await provider.stop();
});

Deno.test("startNvmlProvider() is down when no library is under the driver root", async () => {
  const root = await Deno.makeTempDir();
  try {
    const provider = await startNvmlProvider({
      writer: new MemoryWriter(),
      logger: new CaptureLogger(),
      driverRoot: root,
    });
    assert.equal(provider.up, false);
    assert.match(provider.reason, /^Cannot find NVML library: no libnvidia-ml\.so\.1 under/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("startNvmlProvider() is down when the library path is relative", async () => {
  const provider = await startNvmlProvider({
    writer: new MemoryWriter(),
    logger: new CaptureLogger(),
    libraryPath: "libnvidia-ml.so.1",
  });
  assert.equal(provider.up, false);
  assert.match(provider.reason, /not an absolute path/);
});

Deno.test("startNvmlProvider() is down and releases NVML when init fails", async () => {
  await using h = await startHarness({ initError: 9 });
  assert.equal(h.provider.up, false);
  assert.match(h.provider.reason, /NVML_ERROR_DRIVER_NOT_LOADED/);
  assert.equal(h.writer.gpus.size, 0);
  assert.equal(h.control.initCount(), 0);
});

Deno.test("startNvmlProvider() is down and shuts NVML down when there is no GPU", async () => {
  await using h = await startHarness({ gpus: 0 });
  assert.equal(h.provider.up, false);
  assert.equal(h.provider.reason, "NVML reports no usable GPUs");
  assert.equal(h.control.initCount(), 0);
});

Deno.test("NvmlProvider.stop() frees the event set and shuts NVML down", async () => {
  await using h = await startHarness();
  assert.equal(h.control.initCount(), 1);
  assert.equal(h.control.liveSets(), 1);
  await h.provider.stop();
  await h.provider.stop();
  assert.equal(h.control.initCount(), 0);
  assert.equal(h.control.liveSets(), 0);
});

Deno.test("startNvmlProvider() keeps a GPU the writer already has", async () => {
  await using h = await startHarness();
  await h.provider.stop();
  const spec = h.writer.gpus.get(fakeGpuName(0))?.spec;
  const second = startNvmlProvider({
    writer: h.writer,
    logger: new CaptureLogger(),
    libraryPath: h.libraryPath,
    waitTimeoutMs: 50,
  });
  await second.started;
  await second.stop();
  assert.equal(second.up, true);
  assert.equal(h.writer.gpus.get(fakeGpuName(0))?.spec, spec);
});
