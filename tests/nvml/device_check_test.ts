/**
 * tests/nvml/device_check.ts is run by hand on a GPU machine; this keeps it working between such
 * runs by running it against the fake library (current and old-driver builds).
 */
import assert from "node:assert/strict";
import { buildFakeNvml } from "./build_fake.ts";

const SCRIPT = new URL("./device_check.ts", import.meta.url).pathname;

async function runCheck(library: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, "--library", library, "--wait-ms", "100", "--repeat", "5"],
    env: { FAKE_NVML_GPU_COUNT: "2", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) };
}

Deno.test("device_check.ts reads every polled signal and passes on the fake library", async () => {
  const { code, text } = await runCheck(await buildFakeNvml());
  assert.equal(code, 0, text);
  for (
    const step of [
      "gpu 1 remapped rows: {",
      "gpu 1 retired pages pending: false",
      "gpu 1 retired pages (DBE): 0",
      "gpu 1 clock event reasons: ",
      "gpu 1 temperature: 40",
      "gpu 1 slowdown threshold: 90",
      "gpu 1 shutdown threshold: 95",
      'gpu 1 polled call µs (median/max of 5): {"remappedRows":"',
      "DEVICE CHECK PASSED",
    ]
  ) {
    assert.ok(text.includes(step), `missing '${step}' in:\n${text}`);
  }
});

Deno.test("device_check.ts passes on an old driver and on a GPU without the signals", async () => {
  const old = await runCheck(await buildFakeNvml({ oldDriver: true }));
  assert.equal(old.code, 0, old.text);
  assert.match(old.text, /"clockEventReasons":"throttle"/);
  // The old driver lacks nvmlDeviceGetRemappedRows: nothing to time.
  assert.match(old.text, /gpu 0 polled call µs \(median\/max of 5\): \{"retiredPagesPending":"/);
  const dir = await Deno.makeTempDir({ prefix: "device-check-" });
  try {
    await Deno.writeTextFile(`${dir}/control`, "no-signals 0\n");
    const bare = await runCheck(await buildFakeNvml(), { FAKE_NVML_CONTROL: `${dir}/control` });
    assert.equal(bare.code, 0, bare.text);
    assert.match(bare.text, /gpu 0 remapped rows: NOT_SUPPORTED on this GPU/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
