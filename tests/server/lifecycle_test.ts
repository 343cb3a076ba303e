/**
 * Listener and shutdown behaviour of the real server process: socket modes,
 * stale and live sockets, graceful stop with open watchers, signals.
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { DUPLICATE_WINDOW_MS } from "../../src/server/mod.ts";
import { exists, MAIN, startServer, testGpu } from "../_helpers/server_process.ts";
import { ChildClient, retryChildCrash, SHUTDOWN_CLIENT } from "../_helpers/child_client.ts";

const opts = {};

Deno.test(
  "server creates the socket directory 0750 and the socket 0660, and removes it on SIGTERM",
  opts,
  async () => {
    const base = await Deno.makeTempDir();
    const dir = `${base}/nested/run`;
    try {
      const server = await startServer({ dir });
      assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o750);
      const info = await Deno.lstat(server.socket);
      assert.ok(info.isSocket);
      assert.equal(info.mode! & 0o777, 0o660);
      const exit = await server.stop("SIGTERM");
      assert.equal(exit.code, 0);
      assert.equal(await exists(server.socket), false, "socket removed");
      assert.ok(server.logs.some((l) => l.msg === "Server stopped" && l.graceful === true));
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
);

Deno.test(
  "server replaces a stale socket and refuses one a live server answers on",
  opts,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      // A stale socket: bound by a process that is gone.
      const stale = Deno.listen({ transport: "unix", path: `${dir}/device.sock` });
      stale.close();
      if (!(await exists(`${dir}/device.sock`))) {
        // Some runtimes unlink on close; recreate a dead socket file by hand.
        const l = Deno.listen({ transport: "unix", path: `${dir}/device.sock` });
        await Deno.copyFile(`${dir}/device.sock`, `${dir}/tmp`).catch(() => {});
        l.close();
      }
      const first = await startServer({ dir, noTcp: true });
      const client = first.client();
      await client.create(testGpu("g"));
      client.close();

      // A second server on the same path must refuse and exit non-zero, leaving the first intact.
      const second = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          MAIN,
          `--unix-socket=${first.socket}`,
          `--state-dir=${dir}/state2`,
          "--grpc-address=",
          "--health-port=0",
          "--metrics-port=0",
        ],
        stdout: "piped",
        stderr: "piped",
      });
      const out = await second.output();
      assert.notEqual(out.code, 0);
      assert.match(new TextDecoder().decode(out.stderr), /another server is listening/);
      const again = first.client();
      assert.equal((await again.get("g")).metadata.name, "g");
      again.close();
      assert.equal((await first.stop()).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

// The streams of the next two tests are held by a child process: the GOAWAY of the shutdown can
// crash a Deno 2.9.6 client (denoland/deno#36788), which is retried there instead of ending this
// process.

Deno.test(
  "SIGTERM ends open watch streams with UNAVAILABLE and exits 0 well within the timeout",
  opts,
  async () => {
    await retryChildCrash(async (track) => {
      await using server = track(await startServer({ args: ["--shutdown-timeout=20s"] }));
      const client = server.client();
      await client.create(testGpu("g"));
      client.close();
      const target = `unix://${server.socket}`;
      const watcher = track(new ChildClient([SHUTDOWN_CLIENT, "watch", target, "5"]));
      const at = await watcher.waitFor(/^ready$/);
      await server.disconnected(1);
      const started = Date.now();
      const exit = await server.stop("SIGTERM", { openClients: 1 });
      assert.equal(exit.code, 0);
      assert.ok(Date.now() - started < 15_000, "did not wait for the shutdown timeout");
      for (let i = 0; i < 5; i++) {
        await watcher.waitFor(new RegExp(`^ended ${i} ${status.UNAVAILABLE}$`), at);
      }
      assert.equal(await exists(server.socket), false);
    });
  },
);

Deno.test("SIGINT stops the server like SIGTERM", opts, async () => {
  const server = await startServer();
  const exit = await server.stop("SIGINT");
  assert.equal(exit.code, 0);
  assert.equal(await exists(server.socket), false);
  await Deno.remove(server.dir, { recursive: true });
});

Deno.test("a second signal forces an immediate stop during the shutdown delay", opts, async () => {
  const server = await startServer({ args: ["--shutdown-delay=60s"] });
  try {
    server.child.kill("SIGTERM");
    await server.waitForLog((l) => l.msg === "Shutting down gracefully");
    // A repeat closer than DUPLICATE_WINDOW_MS counts as the same signal delivered twice.
    await new Promise((r) => setTimeout(r, DUPLICATE_WINDOW_MS + 50));
    const started = Date.now();
    const exit = await server.stop("SIGTERM");
    assert.equal(exit.code, 1, "forced exit is non-zero");
    assert.ok(Date.now() - started < 10_000, "did not wait for the delay");
    assert.ok(server.logs.some((l) => l.msg === "Second signal: forcing shutdown"));
    assert.equal(await exists(server.socket), false);
  } finally {
    await Deno.remove(server.dir, { recursive: true });
  }
});

Deno.test(
  "server exits with status 2 and one message per problem on invalid configuration",
  opts,
  async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "--metrics-port=-1", "--log-format=xml", "--bogus"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.match(stderr, /--bogus/);
  },
);

Deno.test(
  "SIGTERM ends open reflection and health Watch streams and exits 0 well within the timeout",
  opts,
  async () => {
    await retryChildCrash(async (track) => {
      await using server = track(await startServer({ args: ["--shutdown-timeout=20s"] }));
      const watcher = track(
        new ChildClient([SHUTDOWN_CLIENT, "streams", `unix://${server.socket}`]),
      );
      const at = await watcher.waitFor(/^ready$/);
      const started = Date.now();
      const exit = await server.stop("SIGTERM", { openClients: 1 });
      assert.equal(exit.code, 0);
      assert.ok(Date.now() - started < 15_000, "did not wait for the shutdown timeout");
      await watcher.waitFor(new RegExp(`^ended reflection ${status.UNAVAILABLE}$`), at);
      await watcher.waitFor(new RegExp(`^ended health ${status.UNAVAILABLE}$`), at);
    });
  },
);
