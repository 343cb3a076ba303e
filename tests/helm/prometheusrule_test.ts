import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { ensureDebianPackages } from "../_tools/apt.ts";
import { CHART_DIR, type Json, one, renderChart, WITH_PROMETHEUS_OPERATOR } from "./_chart.ts";

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

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const plainRules: Rule[] = parse(await Deno.readTextFile(`${CHART_DIR}/files/alerts.yaml`))
  .groups.flatMap((g: { rules: Rule[] }) => g.rules);

/** Rules of the PrometheusRule rendered with `values.metrics.prometheusRule` (and other values). */
async function renderedRules(values: Record<string, Json> = {}): Promise<Rule[]> {
  const rule = one(await renderChart(values, [...WITH_PROMETHEUS_OPERATOR]), "PrometheusRule");
  return rule.spec.groups.flatMap((g: { rules: Rule[] }) => g.rules);
}

/** Renders the PrometheusRule and writes its spec as a plain rules file into `dir`. */
async function renderedRulesFile(dir: string, values: Record<string, Json> = {}): Promise<string> {
  const rule = one(await renderChart(values, [...WITH_PROMETHEUS_OPERATOR]), "PrometheusRule");
  const file = `${dir}/rendered-rules.yaml`;
  await Deno.writeTextFile(file, stringify(rule.spec));
  return file;
}

Deno.test("PrometheusRule spec rendered by the chart passes promtool check rules", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dapi-rules-" });
  try {
    const file = await renderedRulesFile(dir, { metrics: { jobName: "gpu-api" } });
    assert.match(
      await promtool(["check", "rules", file], dir),
      new RegExp(`SUCCESS: ${plainRules.length} rules found`),
    );
    const rendered: Rule[] = parse(await Deno.readTextFile(file)).groups.flatMap((
      g: { rules: Rule[] },
    ) => g.rules);
    const exprs = (rules: Rule[]) => rules.map((r) => r.expr).join("\n");
    assert.ok(!exprs(rendered).includes('job="device-api-server"'));
    assert.equal(
      exprs(rendered),
      exprs(plainRules).replaceAll('job="device-api-server"', 'job="gpu-api"')
        .replaceAll(
          'daemonset="device-api-server"',
          'daemonset="dapi-device-api-server", namespace="gpu-system"',
        ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PrometheusRule spec with default values behaves as alerts_test.yaml expects", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dapi-rules-" });
  try {
    // The test's kube-state-metrics series name DaemonSet device-api-server in gpu-system.
    const file = await renderedRulesFile(dir, { fullnameOverride: "device-api-server" });
    const text = await Deno.readTextFile(`${REPO}tests/alerts/alerts_test.yaml`);
    const tests = parse(text);
    tests.rule_files = [file];
    await Deno.writeTextFile(`${dir}/tests.yaml`, stringify(tests));
    assert.match(await promtool(["test", "rules", "tests.yaml"], dir), /SUCCESS/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PrometheusRule memory alert divides by resources.limits.memory, and is left out without a limit", async () => {
  const memory = (rules: Rule[]) => rules.find((r) => r.alert === "DeviceAPIServerHighMemory");
  const half = memory(await renderedRules({ resources: { limits: { memory: "512Mi" } } }));
  assert.match(half!.expr, / \/ 536870912 > 0\.85$/m);
  const gi = memory(await renderedRules({ resources: { limits: { memory: "1G" } } }));
  assert.match(gi!.expr, / \/ 1000000000 > 0\.85$/m);
  // null deletes the default limit (Helm merges values).
  const none = await renderedRules({ resources: { limits: null } });
  assert.equal(memory(none), undefined);
  assert.equal(none.length, plainRules.length - 1);
});

Deno.test("metrics.prometheusRule disables alerts, adds labels, moves runbooks and appends rules", async () => {
  const rules = await renderedRules({
    metrics: {
      prometheusRule: {
        disabled: ["DeviceAPIServerGPUsNeedAction", "DeviceAPIServerNoGPUs"],
        ruleLabels: { team: "gpu-infra", severity: "page" },
        runbookUrl: "https://wiki.example.com/runbooks/device-api#",
        additionalRules: [{ record: "dapi:gpus_unhealthy:sum", expr: "sum(up)" }],
      },
    },
  });
  const alerts = rules.filter((r) => r.alert !== undefined);
  assert.deepEqual(
    alerts.map((r) => r.alert),
    plainRules.map((r) => r.alert).filter((a) =>
      a !== "DeviceAPIServerGPUsNeedAction" && a !== "DeviceAPIServerNoGPUs"
    ),
  );
  for (const r of alerts) {
    assert.deepEqual(r.labels, { severity: "page", team: "gpu-infra" }, String(r.alert));
    assert.equal(
      r.annotations?.runbook_url,
      `https://wiki.example.com/runbooks/device-api#${r.alert!.toLowerCase()}`,
    );
    const plain = plainRules.find((p) => p.alert === r.alert)!;
    assert.equal(r.for, plain.for);
    assert.equal(r.annotations?.description, plain.annotations?.description);
  }
  assert.deepEqual(rules.at(-1), { record: "dapi:gpus_unhealthy:sum", expr: "sum(up)" });
});
