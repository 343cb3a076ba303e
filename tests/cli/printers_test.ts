import assert from "node:assert/strict";
import { gpuListToJson } from "../../src/api/mod.ts";
import { compileOutput, formatGpus, type FormatGpusOptions } from "../../src/cli/printers.ts";
import { condition, NOW, sampleGpu } from "./_helpers.ts";

const GPUS = [
  sampleGpu("gpu-0", [condition("NVMLReady", "False", { message: "line\none" })]),
  sampleGpu("gpu-1"),
];
const JSON_LIST = gpuListToJson(GPUS, "9");

function format(output: string, extra: Partial<FormatGpusOptions> = {}): string {
  return formatGpus(GPUS, JSON_LIST, {
    output,
    nowMs: NOW,
    allNamespaces: false,
    headers: true,
    ...extra,
  });
}

Deno.test("formatGpus() drops the table's header with headers false", () => {
  const table = format("table");
  assert.equal(format("table", { headers: false }), table.slice(table.indexOf("\n") + 1));
  assert.match(table, /^NAME {4}UUID/);
});

Deno.test("formatGpus() prints custom columns with <none> and one-line cells", () => {
  assert.equal(
    format(
      "custom-columns=NAME:.metadata.name,MSG:.status.conditions[*].message,RV:{$.metadata.resourceVersion}",
    ),
    "NAME    MSG        RV\ngpu-0   line one   7\ngpu-1   <none>     7\n",
  );
  assert.equal(format("custom-columns=NAME:.metadata.name", { headers: false }), "gpu-0\ngpu-1\n");
});

Deno.test("formatGpus() renders jsonpath over the list object", () => {
  assert.equal(
    format("jsonpath={.metadata.resourceVersion}:{.items[*].metadata.name}"),
    "9:gpu-0 gpu-1",
  );
});

Deno.test("compileOutput() refuses a column without a path and a bad template", () => {
  assert.throws(() => compileOutput("custom-columns=NAME:"), /Cannot read column "NAME:"/);
  assert.throws(() => compileOutput("custom-columns=:.a"), /Cannot read column ":.a"/);
  assert.throws(() => compileOutput("jsonpath={range .items}"), SyntaxError);
});
