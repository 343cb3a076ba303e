/**
 * `watch gpus` end to end: event lines and JSON lines from a CLI subprocess, resuming from a
 * version, and ending cleanly on Ctrl-C (SIGINT).
 */
import assert from "node:assert/strict";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { cli, spawnCli } from "./_helpers.ts";

async function next(lines: AsyncIterator<string>): Promise<string> {
  const r = await lines.next();
  if (r.done) throw new Error("the watch ended before the expected line");
  return r.value;
}

async function finish(child: Deno.ChildProcess, signal: Deno.Signal) {
  child.kill(signal);
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  return { code: status.code, signal: status.signal, stderr };
}

Deno.test("watch gpus prints events as lines until Ctrl-C", async () => {
  await using server = await startServer();
  const client = server.client({ provider: "nvml" });
  try {
    await client.create(testGpu("gpu-0"));
    const { child, lines } = spawnCli(["watch", "gpus", "--unix-socket", server.socket]);
    const added = await next(lines);
    const rv0 = (await client.get("gpu-0")).metadata.resourceVersion;
    assert.equal(added, `ADDED gpu-0 Unknown rv=${rv0}`);

    await client.updateStatus("gpu-0", { conditions: [{ type: "NVMLReady", status: "False" }] });
    await client.create(testGpu("gpu-1"));
    await client.delete("gpu-0");
    const got = [await next(lines), await next(lines), await next(lines)];
    assert.deepEqual(got.map((l) => l.replace(/ rv=\d+$/, "")), [
      "MODIFIED gpu-0 False",
      "ADDED gpu-1 Unknown",
      "DELETED gpu-0 False",
    ]);
    const versions = got.map((l) => Number(/ rv=(\d+)$/.exec(l)![1]));
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
    assert.ok(versions[0]! > Number(rv0));

    assert.deepEqual(await finish(child, "SIGINT"), { code: 0, signal: null, stderr: "" });
  } finally {
    client.close();
  }
});

Deno.test("watch gpus -o json resumes after --resource-version with JSON lines", async () => {
  await using server = await startServer();
  const client = server.client();
  try {
    const { gpu } = await client.create(
      testGpu("gpu-0", "GPU-0", { metadata: { name: "gpu-0", labels: { zone: "a" } } }),
    );
    await client.create(
      testGpu("gpu-1", "GPU-1", { metadata: { name: "gpu-1", labels: { zone: "b" } } }),
    );
    await client.create(
      testGpu("gpu-2", "GPU-2", { metadata: { name: "gpu-2", labels: { zone: "a" } } }),
    );
    const { child, lines } = spawnCli([
      "watch",
      "gpus",
      "-o",
      "json",
      "-l",
      "zone=a",
      "--resource-version",
      gpu.metadata.resourceVersion,
      "--unix-socket",
      server.socket,
    ]);
    // Only what follows the version, and only zone=a: gpu-2's creation, then the delete.
    await client.delete("gpu-2");
    const events = [JSON.parse(await next(lines)), JSON.parse(await next(lines))];
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [
      ["ADDED", "gpu-2"],
      ["DELETED", "gpu-2"],
    ]);
    assert.equal(typeof events[0].object.resourceVersion, "string");
    assert.deepEqual(Object.keys(events[0]), ["type", "object"]);
    assert.deepEqual(await finish(child, "SIGTERM"), { code: 0, signal: null, stderr: "" });
  } finally {
    client.close();
  }
});

Deno.test(
  "watch gpus from a version the server no longer has fails with one line",
  async () => {
    await using server = await startServer();
    const run = await cli([
      "watch",
      "gpus",
      "--resource-version",
      "1",
      "--unix-socket",
      server.socket,
    ]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      /^error: cannot watch from resource version 1: too old resource version.*\n$/,
    );
  },
);

Deno.test("watch gpus fails with one line when the server goes away", async () => {
  await using server = await startServer();
  const client = server.client();
  try {
    await client.create(testGpu("gpu-0"));
    const { child, lines } = spawnCli(["watch", "gpus", "--unix-socket", server.socket]);
    assert.match(await next(lines), /^ADDED gpu-0 /);
    // Only the CLI (a child process) may see the stop: its GOAWAY can crash a Deno 2.9.6 client
    // such as this process's (denoland/deno#36788).
    client.close();
    await server.stop("SIGTERM", { openClients: 1 });
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
    assert.equal(status.code, 1);
    assert.match(stderr, /^error: .+\n$/);
  } finally {
    client.close();
  }
});

Deno.test("watch gpus ends quietly when its reader goes away (| head -1)", async () => {
  await using server = await startServer();
  const client = server.client();
  try {
    await client.create(testGpu("gpu-0"));
    const { child, lines } = spawnCli(["watch", "gpus", "--unix-socket", server.socket]);
    assert.match(await next(lines), /^ADDED gpu-0 /);
    await lines.return?.(); // closes the read end of the pipe, asynchronously
    // Lines written before the close lands still fit in the pipe's buffer:
    // keep producing events until a write finds the pipe closed.
    let exited = false;
    const status = child.status.finally(() => (exited = true));
    for (let i = 1; i <= 200 && !exited; i++) {
      await client.create(testGpu(`gpu-${i}`));
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!exited) child.kill("SIGKILL"); // it never noticed: fail below instead of hanging
    const [{ code }, stderr] = await Promise.all([status, new Response(child.stderr).text()]);
    assert.deepEqual({ code, stderr }, { code: 0, stderr: "" });
  } finally {
    client.close();
  }
});
