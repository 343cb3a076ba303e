/**
 * The kubectl-like features end to end, as CLI subprocesses against a real server: jsonpath and
 * custom-columns output, --no-headers, get -w, version (the server's over the API) and shell
 * completion run by a real bash.
 */
import assert from "node:assert/strict";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { cli, serverWithGpus, spawnCli } from "./_helpers.ts";
import { VERSION } from "../../src/version/mod.ts";

Deno.test(
  "get gpus prints jsonpath, custom columns and tables without headers",
  async (t) => {
    await using server = await startServer();
    const sock = ["--unix-socket", server.socket];
    const client = server.client({ provider: "nvml" });
    try {
      await client.create(testGpu("gpu-0", "GPU-0"));
      await client.create(testGpu("gpu-1", "GPU-1"));
      await client.updateStatus("gpu-1", {
        conditions: [
          { type: "NVMLReady", status: "True" },
          { type: "MemoryHealthy", status: "False" },
        ],
      });

      await t.step("-o jsonpath selects from the GpuList JSON", async () => {
        const run = await cli(["get", "gpus", "-o", "jsonpath={.items[*].metadata.name}", ...sock]);
        assert.deepEqual(run, { code: 0, stdout: "gpu-0 gpu-1", stderr: "" });
        const range = await cli([
          "get",
          "gpus",
          "-o",
          'jsonpath={range .items[*]}{.metadata.name}{"\\t"}' +
          '{.status.conditions[?(@.status=="False")].type}{"\\n"}{end}',
          ...sock,
        ]);
        assert.equal(range.stdout, "gpu-0\t\ngpu-1\tMemoryHealthy\n");
        const one = await cli(["get", "gpu", "gpu-1", "-o", "jsonpath={.spec.uuid}", ...sock]);
        assert.equal(one.stdout, "GPU-1");
        // An empty list is still a list: its version prints, and no "No gpus found" note.
        const empty = await cli([
          "get",
          "gpus",
          "-n",
          "none",
          "-o",
          "jsonpath={.metadata.resourceVersion}",
          ...sock,
        ]);
        assert.match(empty.stdout, /^[0-9]+$/);
        assert.equal(empty.stderr, "");
      });

      await t.step("-o custom-columns prints one column per path", async () => {
        const run = await cli([
          "get",
          "gpus",
          "-o",
          "custom-columns=NAME:.metadata.name,UUID:{.spec.uuid},TYPES:.status.conditions[*].type",
          ...sock,
        ]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(
          run.stdout,
          "NAME    UUID    TYPES\n" +
            "gpu-0   GPU-0   <none>\n" +
            "gpu-1   GPU-1   NVMLReady,MemoryHealthy\n",
        );
      });

      await t.step("--no-headers drops the header of tables and custom columns", async () => {
        const table = await cli(["get", "gpus", "--no-headers", ...sock]);
        assert.match(table.stdout, /^gpu-0 +GPU-0 +Unknown +<none> +\d+s\ngpu-1 +GPU-1 +False /);
        const columns = await cli([
          "get",
          "gpus",
          "-o",
          "custom-columns=NAME:.metadata.name",
          "--no-headers",
          ...sock,
        ]);
        assert.equal(columns.stdout, "gpu-0\ngpu-1\n");
      });
    } finally {
      client.close();
    }
  },
);

Deno.test("get gpus -w prints the list, then each change as a row", async () => {
  await using server = await startServer();
  const client = server.client({ provider: "nvml" });
  try {
    await client.create(testGpu("gpu-0"));
    const { child, lines } = spawnCli([
      "get",
      "gpus",
      "-w",
      "-o",
      "custom-columns=NAME:.metadata.name,READY:.status.conditions[*].status",
      "--unix-socket",
      server.socket,
    ]);
    const next = async () => (await lines.next()).value;
    assert.equal(await next(), "NAME    READY");
    assert.equal(await next(), "gpu-0   <none>");
    await client.updateStatus("gpu-0", { conditions: [{ type: "NVMLReady", status: "False" }] });
    assert.equal(await next(), "gpu-0   False");
    await client.create(testGpu("gpu-1"));
    assert.equal(await next(), "gpu-1   <none>");
    child.kill("SIGINT");
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
    assert.deepEqual({ code: status.code, stderr }, { code: 0, stderr: "" });
  } finally {
    client.close();
  }
});

Deno.test("version prints the client's and the server's version from the API", async () => {
  await using server = await startServer();
  const runtime = `deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch}`;
  const run = await cli(["version", "--unix-socket", server.socket]);
  assert.deepEqual(run, {
    code: 0,
    stdout: `Client Version: v${VERSION} (${runtime})\nServer Version: v${VERSION} (${runtime})\n`,
    stderr: "",
  });
  const json = await cli(["version", "-o", "json", "--unix-socket", server.socket]);
  assert.equal(JSON.parse(json.stdout).serverVersion.version, VERSION);
  // --client asks no server: it works with none listening.
  const alone = await cli(["version", "--client", "--unix-socket", "/nonexistent/d.sock"]);
  assert.deepEqual(alone, {
    code: 0,
    stdout: `Client Version: v${VERSION} (${runtime})\n`,
    stderr: "",
  });
  const none = await cli(["version", "--unix-socket", "/nonexistent/d.sock"]);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, `Client Version: v${VERSION} (${runtime})\n`);
  assert.match(none.stderr, /^error: cannot reach the device-api-server/);
});

Deno.test("completion bash completes commands, resources and flags in bash", async () => {
  const script = await cli(["completion", "bash"]);
  assert.equal(script.code, 0, script.stderr);
  const complete = async (...words: string[]) => {
    const line = ["device-api-server", ...words];
    const bash = [
      script.stdout,
      `COMP_WORDS=(${line.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${line.length - 1}`,
      '_device_api_server; echo "${COMPREPLY[*]}"',
    ].join("\n");
    const out = await new Deno.Command("bash", { args: ["-c", bash], stdin: "null" }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trim();
  };
  assert.equal(await complete("ge"), "get");
  assert.equal(await complete("get", "pro"), "provider providers");
  assert.equal(await complete("get", "gpus", "--no-h"), "--no-headers");
  assert.equal(await complete("set", "con"), "condition conditions");
  assert.equal(await complete("completion", "z"), "zsh");
  assert.equal(await complete("delete", "--uu"), ""); // delete takes no --uuid
});

Deno.test("completion zsh and fish print scripts their shells accept", async () => {
  const zsh = await cli(["completion", "zsh"]);
  assert.match(zsh.stdout, /^#compdef device-api-server\n/);
  const fish = await cli(["completion", "fish"]);
  assert.match(
    fish.stdout,
    /^complete -c device-api-server -n "__fish_seen_subcommand_from get" -l no-headers -d '/m,
  );
  // bash parses the zsh script's body (zsh runs it through bashcompinit).
  const check = await new Deno.Command("bash", {
    args: ["-n", "-c", zsh.stdout.split("\n").slice(2).join("\n")],
  }).output();
  assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
});

Deno.test("the CLI finds the server from DEVICE_API_ENDPOINT or --endpoint", async () => {
  await using server = await serverWithGpus("gpu-0");
  const want = { code: 0, stdout: "gpu/gpu-0\n", stderr: "" };
  const name = ["get", "gpus", "-o", "name"];
  assert.deepEqual(await cli(name, { DEVICE_API_ENDPOINT: `unix://${server.socket}` }), want);
  assert.deepEqual(await cli([...name, "--endpoint", server.tcpAddress]), want);
  // The flag wins over the variable, and a bad variable names itself.
  const bad = { DEVICE_API_ENDPOINT: "unix://host/x" };
  assert.deepEqual(await cli([...name, "--endpoint", `unix:${server.socket}`], bad), want);
  const run = await cli(name, bad);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^error: DEVICE_API_ENDPOINT: invalid endpoint "unix:\/\/host\/x"/);
});
