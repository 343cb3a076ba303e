/**
 * Interop with a non-JS gRPC stack: Python's C-core client, with stubs
 * generated from our proto, drives Create/Get/Watch/UpdateStatus/List.
 */
import assert from "node:assert/strict";
import { generatePythonStubs } from "../_helpers/python_stubs.ts";
import { REPO_ROOT, startServer } from "../_helpers/server_process.ts";

const PYTHON = "/usr/bin/python3"; // Debian's interpreter sees Debian's modules

Deno.test("a Python grpcio (C-core) client speaks the wire contract", async () => {
  const stubs = await generatePythonStubs();
  try {
    await using server = await startServer();
    for (const target of [`unix://${server.socket}`, server.tcpAddress]) {
      if (target !== `unix://${server.socket}`) {
        const c = server.client();
        await c.delete("py-gpu-0");
        c.close();
      }
      const out = await new Deno.Command(PYTHON, {
        args: [`${REPO_ROOT}tests/interop/python_client.py`, stubs, target],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.ok(
        out.success,
        `python client failed on ${target}:\n${stdout}\n${new TextDecoder().decode(out.stderr)}`,
      );
      const checks = stdout.trim().split("\n").map((l) => JSON.parse(l).check);
      assert.deepEqual(checks, [
        "create",
        "get",
        "watch-initial",
        "update-status",
        "watch-live",
        "list",
        "conflict",
        "not-found",
        "done",
      ]);
    }
  } finally {
    await Deno.remove(stubs, { recursive: true });
  }
});
