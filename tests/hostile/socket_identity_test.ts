/**
 * Socket identity (issue 13, item 6): a removed socket file fails readiness
 * at once and is re-created; a file that replaced it is someone else's and
 * survives our stop.
 */
import assert from "node:assert/strict";
import { freePort, startServer, testGpu } from "../_helpers/server_process.ts";
import { eventually } from "../metrics/_exposition.ts";

const opts = {};

async function readyz(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.text() };
}

Deno.test(
  "UnixListener: a removed socket fails /readyz, is re-created, and clients connect again",
  opts,
  async () => {
    const health = freePort();
    await using server = await startServer({ args: [`--health-port=${health}`] });
    const before = await Deno.lstat(server.socket);
    await Deno.remove(server.socket);
    const failing = await readyz(health);
    assert.equal(failing.status, 503);
    assert.match(failing.body, /sockets: socket .*device\.sock was removed/);
    await eventually(async () => assert.equal((await readyz(health)).status, 200), 10_000);
    const after = await Deno.lstat(server.socket);
    assert.ok(after.isSocket);
    assert.notEqual(after.ino, before.ino, "a new socket");
    assert.equal(after.mode! & 0o777, 0o660, "with the configured mode");
    assert.ok(server.logs.some((l) => l.msg === "Socket file disappeared; re-creating it"));
    const client = server.client();
    try {
      await client.create(testGpu("after-recreate"));
      assert.equal((await client.get("after-recreate")).metadata.name, "after-recreate");
    } finally {
      client.close();
    }
  },
);

Deno.test(
  "UnixListener.stop() leaves a socket that replaced ours (a newer instance's) in place",
  opts,
  async () => {
    const health = freePort();
    const server = await startServer({ args: [`--health-port=${health}`] });
    // A newer instance binds elsewhere and moves its socket onto our path.
    const newer = Deno.listen({ transport: "unix", path: `${server.dir}/newer.sock` });
    try {
      await Deno.rename(`${server.dir}/newer.sock`, server.socket);
      const theirs = await Deno.lstat(server.socket);
      const failing = await readyz(health);
      assert.equal(failing.status, 503);
      assert.match(failing.body, /was replaced by another file/);
      await server.waitForLog((l) => l.msg === "Socket path taken by another file; leaving it");
      assert.equal((await server.stop("SIGTERM")).code, 0);
      const left = await Deno.lstat(server.socket);
      assert.equal(left.ino, theirs.ino, "the newer socket is still there");
      const accepted = newer.accept();
      const conn = await Deno.connect({ transport: "unix", path: server.socket });
      (await accepted).close();
      conn.close();
    } finally {
      newer.close();
      await server[Symbol.asyncDispose]();
    }
  },
);
