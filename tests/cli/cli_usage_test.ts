/**
 * How the binary tells the CLI from the server, connection choices, and the one-line failures:
 * no server, bad usage (exit 2 with the usage), and help.
 */
import assert from "node:assert/strict";
import { PRODUCTION_SCOPE, runtimeFlags } from "../../src/runtime/mod.ts";
import { freePort, MAIN, startServer, testGpu } from "../_helpers/server_process.ts";
import { cli, serverWithGpus } from "./_helpers.ts";

Deno.test("get gpus fails with one line when no server listens on the socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "das-cli-" });
  try {
    const socket = `${dir}/device.sock`;
    assert.deepEqual(await cli(["get", "gpus", "--unix-socket", socket]), {
      code: 1,
      stdout: "",
      stderr:
        `error: cannot reach the device-api-server at unix://${socket}: no such socket (ENOENT)\n`,
    });
    // A stale socket file nobody listens on (moved away before close, which unlinks it).
    const listener = Deno.listen({ transport: "unix", path: socket });
    const stale = `${dir}/stale.sock`;
    await Deno.rename(socket, stale);
    listener.close();
    assert.deepEqual(await cli(["watch", "gpus", "--unix-socket", stale]), {
      code: 1,
      stdout: "",
      stderr: `error: cannot reach the device-api-server at unix://${stale}: connection refused ` +
        "(ECONNREFUSED)\n",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("get gpus fails with one line when nothing listens on --grpc-address", async () => {
  const address = `127.0.0.1:${freePort()}`;
  assert.deepEqual(await cli(["get", "gpus", "--grpc-address", address]), {
    code: 1,
    stdout: "",
    stderr:
      `error: cannot reach the device-api-server at ${address}: connection refused (ECONNREFUSED)\n`,
  });
});

Deno.test("get gpus fails with one line when the peer does not answer within --timeout", async () => {
  // Accepts connections and never speaks HTTP/2.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) conns.push(conn);
  })();
  try {
    const address = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    assert.deepEqual(await cli(["get", "gpus", "--grpc-address", address, "--timeout", "300ms"]), {
      code: 1,
      stdout: "",
      stderr: `error: the device-api-server at ${address} did not answer within 300ms\n`,
    });
  } finally {
    listener.close();
    for (const conn of conns) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test(
  "the CLI finds the server by flag, by DEVICE_API_UNIX_SOCKET and by TCP",
  async () => {
    await using server = await startServer();
    const client = server.client();
    try {
      await client.create(testGpu("gpu-0"));
      const byEnv = await cli(["get", "gpus", "-o", "name"], {
        DEVICE_API_UNIX_SOCKET: server.socket,
      });
      assert.deepEqual(byEnv, { code: 0, stdout: "gpu/gpu-0\n", stderr: "" });
      // --grpc-address wins over the socket; flags may come before the verb.
      const byTcp = await cli(
        [
          "--grpc-address",
          server.tcpAddress,
          "-o",
          "name",
          "get",
          "gpus",
          "--unix-socket",
          "/nonexistent.sock",
        ],
      );
      assert.deepEqual(byTcp, { code: 0, stdout: "gpu/gpu-0\n", stderr: "" });
      // With the socket disabled in the environment, the server's TCP address from it.
      const fallback = await cli(["get", "gpus", "-o", "name"], {
        DEVICE_API_UNIX_SOCKET: "",
        DEVICE_API_GRPC_ADDRESS: server.tcpAddress,
      });
      assert.deepEqual(fallback, { code: 0, stdout: "gpu/gpu-0\n", stderr: "" });
    } finally {
      client.close();
    }
  },
);

Deno.test("a usage error prints the error and the command's usage and exits 2", async () => {
  const run = await cli(["get", "gpus", "-o", "xml"]);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  assert.match(
    run.stderr,
    /^error: invalid value "xml" for flag --output: must be one of wide, json, yaml, name, jsonpath=TEMPLATE, custom-columns=SPEC\nUsage:\n {2}device-api-server get gpus /,
  );
  assert.ok(run.stderr.endsWith("Run 'device-api-server help get' for more.\n"));
  for (
    const args of [["set", "condition", "gpu-0"], ["get"], ["delete", "gpus"], [
      "get",
      "gpus",
      "--v=2",
    ]]
  ) {
    const bad = await cli(args);
    assert.equal(bad.code, 2, args.join(" "));
    assert.match(bad.stderr, /^error: .+\nUsage:\n/, args.join(" "));
  }
});

Deno.test("a word that is no command after server flags is a usage error, not a server start", async () => {
  const run = await cli(["--v=2", "--health-port=0", "frob"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^error: unknown command "frob"\nUsage:\n {2}device-api-server COMMAND/);
  // Server flag mistakes are still the server's.
  const server = await cli(["--enable-nvml-provider", "false"]);
  assert.equal(server.code, 2);
  assert.match(server.stderr, /flag --enable-nvml-provider is boolean/);
});

Deno.test("help, help COMMAND and COMMAND --help print help on stdout", async () => {
  const overview = await cli(["help"]);
  assert.equal(overview.code, 0);
  assert.match(overview.stdout, /^Commands:\n(?: {2}\w+ +.+\n)+/m);
  const help = await cli(["help", "clear"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage:\n {2}device-api-server clear condition GPU TYPE \[-n NS\]\n/);
  assert.deepEqual(await cli(["clear", "--help"]), help);
  assert.deepEqual(await cli(["clear", "condition", "-h"]), help);
  const serverHelp = await cli(["--help"]);
  assert.match(serverHelp.stdout, /--unix-socket/);
  assert.doesNotMatch(serverHelp.stdout, /^Commands:/m);
});

Deno.test("the CLI runs under the compiled binary's permissions over TCP", async () => {
  await using server = await serverWithGpus("gpu-0");
  // The flags `deno task compile` bakes in: no env beyond DEVICE_API_* and GRPC_* (so no proxy
  // variables), net only to loopback hosts and the production sockets.
  const flags = runtimeFlags(PRODUCTION_SCOPE, { embedded: false });
  const run = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, MAIN, ...args],
      env: { NO_COLOR: "1", http_proxy: "http://127.0.0.1:9" },
      stdin: "null",
    }).output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  };
  assert.deepEqual(await run(["get", "gpus", "-o", "name", "--grpc-address", server.tcpAddress]), {
    code: 0,
    stdout: "gpu/gpu-0\n",
    stderr: "",
  });
  const outside = await run(["get", "gpus", "--unix-socket", server.socket]);
  assert.equal(outside.code, 1);
  assert.match(
    outside.stderr,
    /^error: cannot reach the device-api-server at unix:\/\/.*: .*NotCapable.*\n$/,
  );
});
