/**
 * The examples of docs/api.md run against the real server: the TypeScript consumer (across a
 * restart), the Python consumer, and the command-line script; and every code block of
 * docs/api.md is taken from an example file that a test runs.
 */
import assert from "node:assert/strict";
import { DEBIAN_PYTHON } from "../_tools/apt.ts";
import { generatePythonStubs } from "../_helpers/python_stubs.ts";
import { MAIN, REPO_ROOT, startServer, testGpu } from "../_helpers/server_process.ts";
import { ChildClient, retryChildCrash } from "../_helpers/child_client.ts";
import { Lines } from "./_lines.ts";

const opts = {};

/** Example files shown in docs/api.md, and the test file that runs each. */
export const RUNNERS: Readonly<Record<string, string>> = {
  "examples/consumer.ts": "tests/consumers/examples_test.ts",
  "examples/python/consumer.py": "tests/consumers/examples_test.ts",
  "examples/cli.sh": "tests/consumers/examples_test.ts",
  "examples/provider.ts": "tests/providers/example_provider_test.ts",
  "examples/go/device-plugin/main.go": "tests/consumers/go_test.ts",
  "examples/go/health-provider/main.go": "tests/consumers/go_test.ts",
};

Deno.test("every code block of docs/api.md comes from an example file a test runs", async () => {
  const doc = await Deno.readTextFile(`${REPO_ROOT}docs/api.md`);
  const blocks = [...doc.matchAll(/(<!-- example: (\S+) -->\n\n?)?```(\w*)\n([\s\S]*?)```/g)];
  assert.ok(blocks.length >= 6);
  const shown = new Set<string>();
  for (const [, , path, lang, body] of blocks) {
    if (lang === "json") continue; // a response, not code
    assert.ok(
      path,
      `a ${lang} block of docs/api.md has no <!-- example: PATH --> marker:\n${body}`,
    );
    const runner = RUNNERS[path];
    assert.ok(runner, `${path} is not an example a test runs`);
    const file = await Deno.readTextFile(`${REPO_ROOT}${path}`);
    // deno fmt re-indents excerpts in Markdown: compare line by line without the indentation.
    const flat = (t: string) => t.trimEnd().split("\n").map((l) => l.trimStart()).join("\n");
    assert.ok(
      flat(file).includes(flat(body!)),
      `the ${lang} block is not taken from ${path}:\n${body}`,
    );
    assert.ok(
      // A Go example is named by its package folder.
      (await Deno.readTextFile(`${REPO_ROOT}${runner}`)).includes(path.replace(/\/main\.go$/, "")),
      `${runner} runs ${path}`,
    );
    shown.add(path);
  }
  assert.ok(shown.has("examples/go/device-plugin/main.go"), "the Go consumer is shown");
});

// The example runs in a child process: Deno 2.9.6's HTTP/2 client can abort inside nghttp2 when
// the server it watches goes away (denoland/deno#36788); such a crash of a runtime, and only
// that, is retried.
Deno.test(
  "examples/consumer.ts prints changes and starts over after a server restart",
  opts,
  async () => {
    await retryChildCrash(async (track) => {
      let server = track(await startServer({ noTcp: true }));
      const dir = server.dir;
      try {
        const child = track(
          new ChildClient([`${REPO_ROOT}examples/consumer.ts`], {
            env: { DEVICE_API_ENDPOINT: `unix://${server.socket}` },
          }),
        );
        const writer = server.client();
        await writer.create(testGpu("gpu-0"));
        let at = await child.waitFor(/^synced at \d+$/);
        assert.ok(child.out.all.includes("ADDED gpu-0 Ready=Unknown"));
        await writer.updateStatus("gpu-0", { conditions: [{ type: "Ready", status: "True" }] });
        at = await child.waitFor(/^MODIFIED gpu-0 Ready=True$/, at);
        writer.close();
        // A restart after a crash: the GOAWAY of a graceful stop crashes the example's Deno
        // 2.9.6 runtime in about one run of four (denoland/deno#36788; without it: none in ten),
        // and both end the stream with UNAVAILABLE, which the example resumes from.
        assert.equal((await server.stop("SIGKILL")).signal, "SIGKILL");
        // Without the state directory the new run lacks the old history: the resume fails with
        // OUT_OF_RANGE and the consumer re-lists (tests/state covers the restart that keeps it).
        server = track(await startServer({ dir, noTcp: true, args: ["--state-dir="] }));
        // The example backs off up to 30 s between attempts while the server is down (and
        // grpc-js adds its own reconnect backoff): the bound covers that, it is no timing check.
        at = await child.waitFor(/^re-listing$/, at, 90_000);
        const again = server.client();
        await again.create(testGpu("gpu-1"));
        again.close();
        await child.waitFor(/^ADDED gpu-1 Ready=Unknown$/, at);
        assert.equal((await child.stop("SIGTERM")).code, 0);
      } finally {
        await server[Symbol.asyncDispose]();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    });
  },
);

Deno.test(
  "examples/python/consumer.py lists, then watches from the list's version over TCP",
  opts,
  async () => {
    const stubs = await generatePythonStubs();
    await using server = await startServer();
    const writer = server.client();
    await writer.create(testGpu("gpu-0"));
    const child = new Deno.Command(DEBIAN_PYTHON, {
      args: [`${REPO_ROOT}examples/python/consumer.py`],
      env: { DEVICE_API_ENDPOINT: server.tcpAddress, PYTHONPATH: stubs },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const out = new Lines(child.stdout);
      const at = await out.waitFor(/^synced at \d+$/);
      assert.deepEqual(out.all.slice(0, at), ["LISTED gpu-0"]);
      await writer.create(testGpu("gpu-1"));
      await writer.delete("gpu-0");
      await out.waitFor(/^DELETED gpu-0$/, at);
      assert.deepEqual(out.all.slice(at + 1), ["ADDED gpu-1", "DELETED gpu-0"]);
    } finally {
      writer.close();
      child.kill("SIGKILL");
      await child.status;
      await child.stderr.cancel();
      await Deno.remove(stubs, { recursive: true });
    }
  },
);

Deno.test("examples/cli.sh runs from start to end against the server", opts, async () => {
  await using server = await startServer({ noTcp: true });
  const bin = await Deno.makeTempDir({ prefix: "das-cli-" });
  try {
    // `device-api-server` on PATH: the server's own entry point, as the installed binary is.
    await Deno.writeTextFile(
      `${bin}/device-api-server`,
      `#!/bin/sh\nexec ${JSON.stringify(Deno.execPath())} run -A ${JSON.stringify(MAIN)} "$@"\n`,
      { mode: 0o755 },
    );
    const out = await new Deno.Command("sh", {
      args: [`${REPO_ROOT}examples/cli.sh`],
      env: {
        PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
        DEVICE_API_UNIX_SOCKET: server.socket,
        // Set, not inherited: a parallel test changes this process's DEVICE_API_ENDPOINT.
        DEVICE_API_ENDPOINT: `unix://${server.socket}`,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, `${text}\n${new TextDecoder().decode(out.stderr)}`);
    assert.match(text, /XidCriticalError/);
    assert.match(text, /"uuid": "GPU-3f2504e0-4f89-11d3-9a0c-0305e82c3301"/);
    assert.equal((await server.client().list()).items.length, 0, "the script cleans up");
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});
