/**
 * The start task's launcher (scripts/start.ts) reports how the server ended
 * as a shell would: its exit code, or 128 + the signal that ended it, so a
 * runtime abort (134) or a kill (137) never reads as an interrupt (130).
 */
import assert from "node:assert/strict";
import { LAUNCHER, startServer } from "../_helpers/server_process.ts";

// The server process the launcher started (its only child).
async function serverPid(launcher: number): Promise<number> {
  const children = await Deno.readTextFile(`/proc/${launcher}/task/${launcher}/children`);
  const pids = children.trim().split(/\s+/).filter((p) => p !== "").map(Number);
  assert.equal(pids.length, 1, `the launcher's children: ${children}`);
  return pids[0]!;
}

for (const [signal, code] of [["SIGABRT", 134], ["SIGKILL", 137]] as const) {
  Deno.test({
    name: `the start task exits ${code} when the server is ended by ${signal}`,
    ignore: Deno.build.os !== "linux",
    async fn() {
      await using server = await startServer({ command: [...LAUNCHER] });
      Deno.kill(await serverPid(server.child.pid), signal);
      const status = await server.status;
      assert.equal(status.code, code);
      assert.equal(status.signal, null, "the launcher itself exits, with the server's status");
    },
  });
}
