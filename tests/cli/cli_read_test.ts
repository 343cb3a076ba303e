/**
 * `get` and `describe` end to end: the CLI as a subprocess of `deno run src/main.ts` against a
 * running server, in every output format.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { startServer } from "../_helpers/server_process.ts";
import { cli } from "./_helpers.ts";

Deno.test("get and describe print the server's GPUs in every format", async (t) => {
  await using server = await startServer();
  const sock = ["--unix-socket", server.socket];
  const nvml = server.client({ provider: "nvml" });
  const ops = server.client({ provider: "ops" });
  try {
    await nvml.create({
      metadata: { name: "gpu-0", labels: { zone: "a" } },
      spec: {
        uuid: "GPU-0000",
        productName: "NVIDIA H100 80GB HBM3",
        pciBusId: "00000000:07:00.0",
      },
    });
    await nvml.create({
      metadata: { name: "gpu-1", labels: { zone: "b" } },
      spec: { uuid: "GPU-1111", index: 1 },
    });
    await nvml.create({
      metadata: { name: "gpu-9", namespace: "lab" },
      spec: { uuid: "GPU-9999" },
    });
    await nvml.updateStatus("gpu-0", {
      conditions: [{ type: "NVMLReady", status: "True", reason: "NVMLHealthy" }],
    });
    const gpu0 = await nvml.get("gpu-0");
    await ops.updateStatus("gpu-0", {
      conditions: [
        ...gpu0.status.conditions,
        { type: "MemoryHealthy", status: "False", reason: "EccErrors", message: "DBE\non bank 3" },
      ],
    }, gpu0.resourceVersion);

    await t.step("get gpus prints the table of the default namespace", async () => {
      const { code, stdout, stderr } = await cli(["get", "gpus", ...sock]);
      assert.equal(code, 0, stderr);
      const lines = stdout.trimEnd().split("\n");
      assert.match(lines[0]!, /^NAME {4}UUID {7}READY {5}CONDITIONS {27}AGE$/);
      assert.match(
        lines[1]!,
        /^gpu-0 {3}GPU-0000 {3}False {5}NVMLReady=True,MemoryHealthy=False {3}\d+s$/,
      );
      assert.match(lines[2]!, /^gpu-1 {3}GPU-1111 {3}Unknown {3}<none> {31}\d+s$/);
      assert.equal(lines.length, 3);
    });

    await t.step("get gpus -o wide adds PRODUCT, PCI BUS ID and INDEX", async () => {
      const { code, stdout } = await cli(["get", "gpus", "-o", "wide", ...sock]);
      assert.equal(code, 0);
      const lines = stdout.trimEnd().split("\n");
      assert.match(lines[0]!, /AGE {3}PRODUCT {17}PCI BUS ID {9}INDEX$/);
      assert.match(lines[1]!, /\d+s +NVIDIA H100 80GB HBM3 {3}00000000:07:00\.0 {3}0$/);
      assert.match(lines[2]!, /\d+s +<none> {18}<none> {13}1$/);
    });

    await t.step("get gpus -A adds NAMESPACE and lists every namespace", async () => {
      const { stdout } = await cli(["get", "gpus", "-A", ...sock]);
      const rows = stdout.trimEnd().split("\n").map((l) => l.split(/ +/).slice(0, 2));
      assert.deepEqual(rows, [
        ["NAMESPACE", "NAME"],
        ["default", "gpu-0"],
        ["default", "gpu-1"],
        ["lab", "gpu-9"],
      ]);
    });

    await t.step("get gpus -l and -n narrow the list", async () => {
      assert.equal(
        (await cli(["get", "gpus", "-l", "zone=b", "-o", "name", ...sock])).stdout,
        "gpu/gpu-1\n",
      );
      assert.equal(
        (await cli(["get", "gpus", "-n", "lab", "-o", "name", ...sock])).stdout,
        "gpu/gpu-9\n",
      );
    });

    await t.step("get gpus with no match says so on stderr and prints nothing", async () => {
      const { code, stdout, stderr } = await cli(["get", "gpus", "-l", "zone=z", ...sock]);
      assert.equal(code, 0);
      assert.equal(stdout, "");
      assert.equal(stderr, 'No gpus found in namespace "default" matching "zone=z".\n');
    });

    await t.step("get gpus -o name prints gpu/NAME lines", async () => {
      assert.equal(
        (await cli(["get", "gpus", "-o", "name", ...sock])).stdout,
        "gpu/gpu-0\ngpu/gpu-1\n",
      );
    });

    await t.step("get gpus -o json prints a GpuList in protobuf JSON", async () => {
      const { code, stdout } = await cli(["get", "gpus", "-o", "json", ...sock]);
      assert.equal(code, 0);
      assert.ok(stdout.startsWith('{\n    "metadata": {\n        "resourceVersion": "'), stdout);
      const list = JSON.parse(stdout);
      assert.deepEqual(list.items.map((g: { metadata: { name: string } }) => g.metadata.name), [
        "gpu-0",
        "gpu-1",
      ]);
      const [first] = list.items;
      assert.equal(typeof first.resourceVersion, "string");
      assert.equal(first.metadata.resourceVersion, first.resourceVersion);
      assert.match(first.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.deepEqual(
        first.status.conditions.map((c: { type: string; owner: string }) => [c.type, c.owner]),
        [["NVMLReady", "nvml"], ["MemoryHealthy", "ops"]],
      );
      assert.equal(list.items[1].spec.index, 1);
    });

    await t.step("get gpu NAME -o yaml prints the GPU as YAML", async () => {
      const { code, stdout } = await cli(["get", "gpu", "gpu-0", "-o", "yaml", ...sock]);
      assert.equal(code, 0);
      assert.ok(stdout.startsWith("metadata:\n  name: gpu-0\n"), stdout);
      const gpu = parseYaml(stdout);
      assert.equal(gpu.spec.pciBusId, "00000000:07:00.0");
      assert.equal(gpu.status.conditions[1].message, "DBE\non bank 3");
      assert.equal(typeof gpu.metadata.creationTimestamp, "string");
    });

    await t.step("get gpu NAME prints one row, in table, wide and name formats", async () => {
      const table = await cli(["get", "gpu", "gpu-1", ...sock]);
      assert.match(
        table.stdout,
        /^NAME {4}UUID {7}READY {5}CONDITIONS {3}AGE\ngpu-1 {3}GPU-1111 {3}Unknown {3}<none> {7}\d+s\n$/,
      );
      const wide = await cli(["get", "gpu", "gpu-1", "-o", "wide", ...sock]);
      assert.match(wide.stdout, /INDEX\ngpu-1 .* 1\n$/);
      assert.equal(
        (await cli(["get", "gpu", "gpu-1", "-o", "name", ...sock])).stdout,
        "gpu/gpu-1\n",
      );
      const json = JSON.parse(
        (await cli(["get", "gpus", "gpu-9", "-n", "lab", "-o", "json", ...sock])).stdout,
      );
      assert.equal(json.metadata.namespace, "lab");
    });

    await t.step("get gpu of a missing GPU fails with one line", async () => {
      assert.deepEqual(await cli(["get", "gpu", "nope", ...sock]), {
        code: 1,
        stdout: "",
        stderr: 'error: gpu "nope" not found\n',
      });
      const other = await cli(["get", "gpu", "gpu-0", "-n", "lab", ...sock]);
      assert.equal(other.stderr, 'error: gpu "gpu-0" not found in namespace "lab"\n');
    });

    await t.step("describe gpu NAME prints the fields and the conditions table", async () => {
      const { code, stdout } = await cli(["describe", "gpu", "gpu-0", ...sock]);
      assert.equal(code, 0);
      assert.match(stdout, /^Name: {18}gpu-0\nNamespace: {13}default\nLabels: {16}zone=a\n/);
      assert.match(stdout, /\n {2}Product Name: {8}NVIDIA H100 80GB HBM3\n/);
      assert.match(stdout, /\n {2}Ready: {15}False\n/);
      assert.match(
        stdout,
        new RegExp(
          "\n {2}Conditions:\n {4}TYPE {12}STATUS {3}REASON {8}OWNER {3}AGE {3}MESSAGE\n" +
            " {4}NVMLReady {7}True {5}NVMLHealthy {3}nvml {4}\\d+s\n" +
            " {4}MemoryHealthy {3}False {4}EccErrors {5}ops {5}\\d+s +DBE on bank 3\n$",
        ),
      );
    });

    await t.step("describe gpus describes every GPU of the scope", async () => {
      const { stdout } = await cli(["describe", "gpus", "-A", ...sock]);
      assert.deepEqual([...stdout.matchAll(/^Name: +(\S+)$/gm)].map((m) => m[1]), [
        "gpu-0",
        "gpu-1",
        "gpu-9",
      ]);
    });

    await t.step("describe of a missing GPU fails with one line", async () => {
      const { code, stderr } = await cli(["describe", "gpu", "nope", ...sock]);
      assert.equal(code, 1);
      assert.equal(stderr, 'error: gpu "nope" not found\n');
    });
  } finally {
    nvml.close();
    ops.close();
  }
});
