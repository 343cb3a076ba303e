/**
 * The permission-scoped runtime: the start task runs the server under
 * exactly the flags src/runtime derives, actions outside them are denied,
 * and the compile task bakes in the same kind of flags with every runtime
 * file embedded.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG, parseConfig } from "../../src/config/mod.ts";
import {
  PRODUCTION_SCOPE,
  runtimeFlags,
  scopeFromConfig,
  V8_FLAGS,
} from "../../src/runtime/mod.ts";
import { compileCommand } from "../../scripts/compile.ts";
import { startCommand } from "../../scripts/start.ts";
import {
  freePort,
  LAUNCHER,
  MAIN,
  REPO_ROOT,
  startServer,
  testGpu,
} from "../_helpers/server_process.ts";

const opts = {};

Deno.test("deno.json tasks run the launcher scripts, never -A for the server", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}deno.json`));
  assert.match(config.tasks.start, /scripts\/start\.ts/);
  assert.match(config.tasks.compile, /scripts\/compile\.ts/);
  for (const task of ["start", "compile"]) {
    assert.doesNotMatch(config.tasks[task], / -A\b|--allow-all/);
  }
  const flags = startCommand(["--unix-socket=/tmp/x/d.sock"], {});
  assert.ok(!flags.includes("-A") && !flags.some((f) => f === "--allow-all"));
  assert.ok(flags.includes(`--v8-flags=${V8_FLAGS.join(",")}`));
});

Deno.test("the server runs under exactly the start task's scoped flags", opts, async () => {
  const health = freePort();
  await using server = await startServer({
    command: [...LAUNCHER],
    args: [`--health-port=${health}`],
  });
  const client = server.client();
  try {
    await client.create(testGpu("gpu-0"));
    assert.equal((await client.list()).items.length, 1);
    const tcp = new (await import("../../src/client/mod.ts")).DeviceApiClient(server.tcpAddress);
    assert.equal((await tcp.get("gpu-0")).metadata.name, "gpu-0");
    tcp.close();
    assert.equal((await fetch(`http://127.0.0.1:${health}/readyz`)).status, 200);
  } finally {
    client.close();
  }
  assert.equal((await server.stop()).code, 0);
});

Deno.test("an action outside the scoped flags is denied", opts, async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Flags derived for one socket, server asked to listen on another path.
    const flags = startCommand(
      [`--unix-socket=${dir}/allowed.sock`, "--grpc-address=", "--state-dir="],
      {},
    ).slice(1, -4);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...flags,
        MAIN,
        `--unix-socket=${dir}/other/denied.sock`,
        "--grpc-address=",
        "--state-dir=",
        "--health-port=0",
        "--metrics-port=0",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(out.code, 0);
    assert.match(new TextDecoder().decode(out.stderr), /Requires (write|read|net) access/);

    // Any other file read, network connection or environment variable is refused.
    const probe = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      probe,
      `const results = [];
       for (const attempt of [() => Deno.readTextFileSync("/etc/hostname"), () => Deno.env.get("HOME"),
                              () => Deno.connect({ hostname: "127.0.0.2", port: 1 })]) {
         try { await attempt(); results.push("allowed"); } catch (e) { results.push(e.name); }
       }
       console.log(JSON.stringify(results));`,
    );
    const scoped = runtimeFlags(
      scopeFromConfig({ ...DEFAULT_CONFIG, unixSocket: `${dir}/d.sock` }),
      { embedded: false },
    );
    const probed = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...scoped, `--allow-read=${probe}`, probe],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.deepEqual(JSON.parse(new TextDecoder().decode(probed.stdout)), [
      "NotCapable",
      "NotCapable",
      "NotCapable",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the compile task bakes in the production scope, which covers the default configuration", () => {
  const args = compileCommand();
  const flags = runtimeFlags(PRODUCTION_SCOPE, { embedded: true });
  assert.deepEqual(args.slice(1, 1 + flags.length), flags);
  assert.deepEqual(args.slice(-1), ["src/main.ts"]);
  // Same flag kinds as the start task, so the binary behaves like `deno task start`.
  const kinds = (list: string[]) =>
    list.filter((f) => f.startsWith("--")).map((f) => f.split("=")[0]).sort();
  const parsed = parseConfig([], {});
  assert.ok(parsed.ok && parsed.action === "run");
  const startFlags = runtimeFlags(scopeFromConfig(parsed.config), { embedded: false });
  assert.deepEqual(kinds(flags), kinds(startFlags));
  const production = scopeFromConfig(parsed.config);
  for (const socket of production.unixSockets) {
    assert.ok(PRODUCTION_SCOPE.unixSockets.includes(socket), socket);
  }
  for (const host of production.tcpHosts) assert.ok(PRODUCTION_SCOPE.tcpHosts.includes(host), host);
});

Deno.test("the compiled binary embeds every runtime file", opts, async () => {
  // denort cannot be downloaded here: the full deno binary stands in, which
  // builds a file that does not run the app but lists what it embeds.
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-run",
        "--allow-write",
        `${REPO_ROOT}scripts/compile.ts`,
        "--output",
        `${dir}/device-api-server`,
      ],
      env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, text.slice(-3000));
    assert.match(text, /Embedded Files/);
    assert.match(text, /proto\/\*/);
    assert.match(text, /@grpc\+reflection@[^\n]*\n/);
    assert.ok((await Deno.stat(`${dir}/device-api-server`)).size > 1_000_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the chart only offers socket paths the compiled binary may listen on", async () => {
  const schema = JSON.parse(
    await Deno.readTextFile(`${REPO_ROOT}charts/device-api-server/values.schema.json`),
  );
  const server = schema.properties.server.properties;
  const allowed = [...server.unixSocket.enum, ...server.consumerSocket.properties.path.enum];
  for (const path of allowed) assert.ok(PRODUCTION_SCOPE.unixSockets.includes(path), path);
  for (const host of server.httpBindAddress.enum) {
    assert.ok(PRODUCTION_SCOPE.tcpHosts.includes(host.includes(":") ? `[${host}]` : host), host);
  }
});

Deno.test("scopeFromConfig() lets the server read and write its state directory, and nothing for none", () => {
  const scope = scopeFromConfig({ ...DEFAULT_CONFIG, stateDir: "/srv/das-state" });
  assert.ok(scope.readWrite.includes("/srv/das-state"));
  assert.ok(!scopeFromConfig({ ...DEFAULT_CONFIG, stateDir: "" }).readWrite.includes(""));
  assert.ok(PRODUCTION_SCOPE.readWrite.includes(DEFAULT_CONFIG.stateDir), "the binary's scope");
  const flags = runtimeFlags(scope, { embedded: true });
  assert.ok(flags.some((f) => f.startsWith("--allow-write=") && f.includes("/srv/das-state")));
});

Deno.test("scopeFromConfig() lets a localhost gRPC address listen on both loopback addresses", () => {
  const scope = scopeFromConfig({ ...DEFAULT_CONFIG, grpcAddress: "localhost:50051" });
  for (const host of ["localhost", "127.0.0.1", "[::1]"]) {
    assert.ok(scope.tcpHosts.includes(host), host);
  }
  assert.deepEqual(
    scopeFromConfig({ ...DEFAULT_CONFIG, grpcAddress: "127.0.0.1:1" }).tcpHosts.filter((h) =>
      h.includes("::1")
    ),
    [],
  );
});
