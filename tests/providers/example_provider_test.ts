/**
 * examples/provider.ts runs against the real server: it registers, writes
 * its condition on every GPU, and cleans up on SIGINT.
 */
import assert from "node:assert/strict";
import type { WatchEvent } from "../../src/client/mod.ts";
import { REPO_ROOT, startServer, testGpu } from "../_helpers/server_process.ts";
import { collectEvents, OPTS, providerClient } from "./_server.ts";

// An event showing the example's condition on GPU `name`.
function owned(name: string): (e: WatchEvent) => boolean {
  return (e) =>
    e.object.metadata.name === name &&
    e.object.status.conditions.some((c) =>
      c.type === "ExampleHealthy" && c.status === "True" && c.owner === "example-monitor"
    );
}

Deno.test(
  "examples/provider.ts publishes its condition and removes it on SIGINT",
  OPTS,
  async () => {
    await using server = await startServer();
    const admin = providerClient(server);
    // The GPUs exist before the example lists them.
    await admin.create(testGpu("gpu-0"));
    await admin.create(testGpu("gpu-1"));
    const events = collectEvents(admin.watch({}));
    const example = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${REPO_ROOT}examples/provider.ts`,
        `--endpoint=unix://${server.socket}`,
        "--name=example-monitor",
        "--lease=1s",
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const output = example.output();
    try {
      await events.until(owned("gpu-0"));
      await events.until(owned("gpu-1"));
      const [p] = await admin.listProviders();
      assert.equal(p?.name, "example-monitor");
      assert.deepEqual(p?.leaseDuration, { seconds: 1, nanos: 0 });
      assert.equal(p?.conditionsOwned, 2);

      example.kill("SIGINT");
      const { code, stderr } = await output;
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      assert.deepEqual(await admin.listProviders(), []);
      for (const gpu of (await admin.list()).items) assert.deepEqual(gpu.status.conditions, []);
    } finally {
      try {
        example.kill("SIGKILL");
      } catch { /* already exited */ }
      await output;
      admin.close();
    }
  },
);
