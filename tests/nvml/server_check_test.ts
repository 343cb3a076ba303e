/**
 * tests/nvml/server_check.ts is run by hand on a GPU machine; this keeps it working between such
 * runs by running it against the fake library, whose control file stands in for a CUDA fault.
 */
import assert from "node:assert/strict";
import { fakeDriverRoot } from "./build_fake.ts";

const SCRIPT = new URL("./server_check.ts", import.meta.url).pathname;

async function runCheck(faultCommand: (control: string) => string) {
  await using driver = await fakeDriverRoot();
  const control = driver.env.FAKE_NVML_CONTROL!;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      SCRIPT,
      `--driver-root=${driver.root}`,
      "--observe-seconds=1",
      `--fault-command=${faultCommand(control)}`,
    ],
    env: { ...driver.env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test("server_check.ts passes when a fault makes one watch event with its action", async () => {
  const { code, text } = await runCheck((control) => `echo 'xid 1 31' >> '${control}'`);
  assert.equal(code, 0, text);
  assert.match(
    text,
    /NVML provider started: \{"library":"[^"]+libnvidia-ml\.so\.1","driverVersion"/,
  );
  assert.match(text, /2 GPU\(s\):/);
  assert.match(text, /watch events in 1 s of observing: 0/);
  assert.match(
    text,
    /first event after the fault:\n(.*\n)*?\s+Recommended Action:\s+RESTART_APP\n/,
  );
  assert.match(text, /further events for that GPU: 0/);
  assert.match(text, /SIGTERM: exit 0 /);
  assert.match(text, /SERVER CHECK PASSED/);
});

Deno.test("server_check.ts fails when one fault makes a second watch event", async () => {
  const { code, text } = await runCheck((control) =>
    `echo 'xid 1 31' >> '${control}'; sleep 0.3; echo 'remap 1 1 0' >> '${control}'`
  );
  assert.equal(code, 1, text);
  assert.match(text, /FAILED: one fault made more than one watch event/);
  assert.match(text, /SERVER CHECK FAILED: 1 step\(s\)/);
});
