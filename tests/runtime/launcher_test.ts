/**
 * The start task's launcher (scripts/start.ts) reports how the server ended
 * as a shell would: its exit code, or 128 + the signal that ended it, so a
 * runtime abort (134) or a kill (137) never reads as an interrupt (130).
 */
import assert from "node:assert/strict";
import { LAUNCHER, startServer } from "../_helpers/server_process.ts";

for (const [signal, code] of [["SIGABRT", 134], ["SIGKILL", 137]] as const) {
  Deno.test({
    name: `the start task exits ${code} when the server is ended by ${signal}`,
    ignore: Deno.build.os !== "linux",
    async fn() {
      await using server = await startServer({ command: [...LAUNCHER] });
      const status = await server.stop(signal, { server: true }); // the server, not the launcher
      assert.equal(status.code, code);
      assert.equal(status.signal, null, "the launcher itself exits, with the server's status");
    },
  });
}
