/**
 * A SIGTERM at any point of startup ends in an orderly exit: status 0, the
 * socket removed, READY=1 never after STOPPING=1, and NVML never started once
 * shutdown began. Needs --unstable-net (for the fake NOTIFY_SOCKET).
 */
import assert from "node:assert/strict";
import { exists, freePort, startServer } from "../_helpers/server_process.ts";
import { FakeNotifySocket } from "../systemd/_fake_notify_socket.ts";

const opts = {};

// Log lines of startup, in order: the signal is sent as soon as each appears.
const STARTUP_LINES = [
  "Starting device-api-server",
  "Serving health endpoints",
  "Serving metrics",
  "Listening on Unix socket",
  "Server is ready",
];

for (const line of STARTUP_LINES) {
  Deno.test(
    `serve() stops in order when SIGTERM arrives at "${line}"`,
    opts,
    async () => {
      await using fake = await FakeNotifySocket.open();
      await using server = await startServer({
        noWait: true,
        denoFlags: ["-A", "--unstable-net"],
        env: { NOTIFY_SOCKET: fake.path },
        // The library is absent: the provider logs that it is down when it starts.
        args: [
          `--health-port=${freePort()}`,
          `--metrics-port=${freePort()}`,
          "--enable-nvml-provider=true",
          "--nvml-library-path=/nonexistent/libnvidia-ml.so.1",
        ],
      });
      await server.waitForLog((l) => l.msg === line);
      server.child.kill("SIGTERM");
      const exit = await server.status;
      const logs = server.logs;
      assert.equal(exit.code, 0, JSON.stringify(logs.slice(-10)));
      assert.equal(await exists(server.socket), false, "socket removed");
      assert.ok(logs.some((l) => l.msg === "Server stopped"), "orderly stop logged");
      assert.deepEqual(logs.filter((l) => "err" in l), [], "no error logged");
      const stopAt = logs.findIndex((l) => l.msg === "Shutting down gracefully");
      assert.ok(stopAt >= 0);
      const lateNvml = logs.slice(stopAt).filter((l) => l.logger === "nvml");
      assert.deepEqual(lateNvml, [], "NVML not started once shutdown began");
      const texts = fake.texts;
      const stopping = texts.findIndex((t) => t.includes("STOPPING=1"));
      const ready = texts.findIndex((t) => t.includes("READY=1"));
      assert.ok(stopping >= 0, `STOPPING=1 sent: ${JSON.stringify(texts)}`);
      assert.ok(ready < stopping, `no READY=1 after STOPPING=1: ${JSON.stringify(texts)}`);
    },
  );
}
