/**
 * The start task's launcher (scripts/start.ts) reports how the server ended
 * as a shell would: its exit code, or 128 + the signal that ended it, so a
 * runtime abort (134) or a kill (137) never reads as an interrupt (130).
 * `--help`, `--version` and a configuration error run with the server's
 * environment and no other permission, and answer as the binary does.
 */
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { LAUNCHER, startServer } from "../_helpers/server_process.ts";
import { VERSION } from "../../src/version/mod.ts";

async function launch(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const [cmd, ...launcher] = LAUNCHER;
  const { code, stdout, stderr } = await new Deno.Command(cmd!, {
    args: [...launcher, ...args],
    env: { DEVICE_API_UNIX_SOCKET: "/tmp/launcher-test.sock" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: text(stdout), err: text(stderr) };
}

Deno.test("the start task answers --version, --help and a bad flag without a permission error", async () => {
  const version = await launch("--version");
  assert.equal(version.code, 0, version.err);
  assert.match(version.out, new RegExp(`^device-api-server v${VERSION.replaceAll(".", "\\.")} `));

  const help = await launch("--help");
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /--unix-socket/);

  const bad = await launch("--no-such-flag");
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /^error: unknown flag: --no-such-flag$/m);
  assert.doesNotMatch(bad.err, /NotCapable|Requires .* access/);
});

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

Deno.test("the start task runs the server from a checkout whose packages are not installed yet", async () => {
  // The server skips Deno's node_modules check (scripts/start.ts): the task must install them first.
  const root = new URL("../../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir({ prefix: "das-fresh-" });
  try {
    for (const entry of ["deno.json", "deno.lock", "src", "scripts", "proto"]) {
      cpSync(join(root, entry), join(dir, entry), { recursive: true });
    }
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "start", "--version"],
      cwd: dir,
    }).output();
    const err = new TextDecoder().decode(stderr);
    assert.equal(code, 0, err);
    assert.match(new TextDecoder().decode(stdout), /^device-api-server v/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the start task's launcher loads no npm package, so not the server's gRPC stack", async () => {
  // Loaded under V8's default flags, grpc-js's code cache would be rejected by the server, which
  // runs under its own (docs/performance.md, item 18): every start would compile it again.
  const script = new URL("../../scripts/start.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", script],
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  const specifiers = graph.modules.map((m) => m.specifier);
  assert.ok(specifiers.some((s) => s.endsWith("/src/runtime/runtime_flags.ts")), "graph read");
  assert.deepEqual(specifiers.filter((s) => s.startsWith("npm:")), []);
});
