import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { ensureDebianPackages } from "../_tools/apt.ts";
import { CHART_DIR, one, renderChart } from "./_chart.ts";

const REPO = new URL("../../", import.meta.url).pathname;

async function promtool(args: string[], cwd: string): Promise<string> {
  await ensureDebianPackages(["prometheus"], ["promtool"]);
  const out = await new Deno.Command("promtool", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  assert.ok(out.success, text);
  return text;
}

/** Renders the PrometheusRule and writes its spec as a plain rules file into `dir`. */
async function renderedRulesFile(dir: string, jobName?: string): Promise<string> {
  const metrics: Record<string, unknown> = { prometheusRule: { enabled: true } };
  if (jobName !== undefined) metrics.jobName = jobName;
  const rule = one(await renderChart({ metrics }), "PrometheusRule");
  const file = `${dir}/rendered-rules.yaml`;
  await Deno.writeTextFile(file, stringify(rule.spec));
  return file;
}

Deno.test("PrometheusRule spec rendered by the chart passes promtool check rules", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dapi-rules-" });
  try {
    const file = await renderedRulesFile(dir, "gpu-api");
    assert.match(await promtool(["check", "rules", file], dir), /SUCCESS: 7 rules found/);
    const exprs = (f: string) =>
      parse(Deno.readTextFileSync(f)).groups.flatMap((g: { rules: { expr: string }[] }) => g.rules)
        .map((r: { expr: string }) => r.expr).join("\n");
    const rendered = exprs(file);
    const plain = exprs(`${CHART_DIR}/files/alerts.yaml`);
    assert.ok(!rendered.includes('job="device-api-server"'));
    assert.equal(rendered, plain.replaceAll('job="device-api-server"', 'job="gpu-api"'));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PrometheusRule spec with default values behaves as alerts_test.yaml expects", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dapi-rules-" });
  try {
    const file = await renderedRulesFile(dir);
    const tests = parse(await Deno.readTextFile(`${REPO}tests/alerts/alerts_test.yaml`));
    tests.rule_files = [file];
    await Deno.writeTextFile(`${dir}/tests.yaml`, stringify(tests));
    assert.match(await promtool(["test", "rules", "tests.yaml"], dir), /SUCCESS/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
