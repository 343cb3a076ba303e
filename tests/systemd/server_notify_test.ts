/**
 * The real server under a fake systemd: READY=1 only once its socket is bound, WATCHDOG=1
 * pings, STOPPING=1 on SIGTERM. Needs --unstable-net (for the fake NOTIFY_SOCKET).
 */
import assert from "node:assert/strict";
import { startServer } from "../_helpers/server_process.ts";
import { SENDER_SOCKET_NAME } from "../../src/systemd/mod.ts";
import { FakeNotifySocket } from "./_fake_notify_socket.ts";

const opts = {};

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await Deno.lstat(path)).isSocket === true;
  } catch {
    return false;
  }
}

Deno.test(
  "server sends READY=1 after binding its socket, WATCHDOG=1 repeatedly and STOPPING=1 on SIGTERM",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "das-systemd-" });
    const socket = `${dir}/device.sock`;
    // Sampled the moment each datagram arrives, while the server keeps running.
    await using fake = await FakeNotifySocket.open({ onMessage: () => isSocket(socket) });
    try {
      const server = await startServer({
        dir,
        denoFlags: ["-A", "--unstable-net"],
        // As the unit sets them; WATCHDOG_PID is left out since the pid is not known yet.
        env: { NOTIFY_SOCKET: fake.path, WATCHDOG_USEC: "400000", RUNTIME_DIRECTORY: dir },
      });
      const [ready] = await fake.waitFor((m) => m.fields.get("READY") === "1");
      assert.equal(ready?.observed, true, "the socket existed when READY=1 arrived");
      assert.equal(ready?.fields.get("MAINPID"), String(server.child.pid));
      assert.equal(ready?.fields.get("STATUS"), "Serving");
      assert.equal(fake.messages[0], ready, "READY=1 is the first message");
      assert.ok(
        await isSocket(`${dir}/${SENDER_SOCKET_NAME}`),
        "sender bound in RUNTIME_DIRECTORY",
      );

      await fake.waitFor((m) => m.text === "WATCHDOG=1", 3);
      const exit = await server.stop("SIGTERM");
      assert.equal(exit.code, 0, JSON.stringify(server.logs.slice(-10)));
      const [stopping] = await fake.waitFor((m) => m.fields.get("STOPPING") === "1");
      assert.equal(stopping?.fields.get("STATUS"), "Shutting down");
      assert.ok(fake.messages.indexOf(stopping!) > fake.messages.indexOf(ready!));
      assert.deepEqual(server.logs.filter((l) => "err" in l), []);
      assert.equal(await isSocket(`${dir}/${SENDER_SOCKET_NAME}`), false, "sender removed");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "server keeps running and warns once when NOTIFY_SOCKET is an abstract address",
  opts,
  async () => {
    await using server = await startServer({
      denoFlags: ["-A", "--unstable-net"],
      env: { NOTIFY_SOCKET: "@/org/freedesktop/systemd1/notify", WATCHDOG_USEC: "400000" },
    });
    const warnings = server.logs.filter((l) => l.msg === "systemd notification is disabled");
    assert.equal(warnings.length, 1);
    const exit = await server.stop("SIGTERM");
    assert.equal(exit.code, 0);
    assert.equal(server.logs.filter((l) => "err" in l).length, 0);
  },
);
