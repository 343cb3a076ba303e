import assert from "node:assert/strict";
import { parse } from "yaml";
import { ensureDebianPackages } from "../_tools/apt.ts";
import { EXTERNAL_METRICS } from "./_metrics.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const ALERTS_FILE = `${REPO}charts/device-api-server/files/alerts.yaml`;
const TESTS_FILE = `${REPO}tests/alerts/alerts_test.yaml`;
const RUNBOOK_BASE = "https://github.com/NVIDIA/device-api-server/blob/main/docs/operations.md#";

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = parse(await Deno.readTextFile(ALERTS_FILE)).groups.flatMap((
  g: { rules: Rule[] },
) => g.rules);

async function promtool(...args: string[]): Promise<{ success: boolean; output: string }> {
  await ensureDebianPackages(["prometheus"], ["promtool"]);
  const out = await new Deno.Command("promtool", {
    args,
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { success: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("promtool check rules accepts files/alerts.yaml", async () => {
  const res = await promtool("check", "rules", ALERTS_FILE);
  assert.ok(res.success, res.output);
  assert.match(res.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

Deno.test("promtool test rules passes alerts_test.yaml", async () => {
  const res = await promtool("test", "rules", TESTS_FILE);
  assert.ok(res.success, res.output);
});

Deno.test("alerts.yaml defines the agreed alerts with severity, a for duration and annotations", () => {
  assert.deepEqual(rules.map((r) => r.alert), [
    "DeviceAPIServerDown",
    "DeviceAPIServerMissing",
    "DeviceAPIServerHighLatency",
    "DeviceAPIServerHighErrorRate",
    "DeviceAPIServerUnhealthyGPUs",
    "DeviceAPIServerUnknownGPUs",
    "DeviceAPIServerNoGPUs",
    "DeviceAPIServerProviderDown",
    "DeviceAPIServerNVMLFailed",
    "DeviceAPIServerGPUsNeedAction",
    "DeviceAPIServerWatchEvictions",
    "DeviceAPIServerEventLoopLag",
    "DeviceAPIServerHighMemory",
  ]);
  for (const rule of rules) {
    assert.ok(["critical", "warning", "info"].includes(rule.labels?.severity ?? ""), rule.alert);
    assert.match(rule.for ?? "", /^[1-9][0-9]*[smh]$/, `${rule.alert} has no for`);
    assert.ok(rule.annotations?.summary, `${rule.alert} summary`);
    assert.ok(rule.annotations?.description, `${rule.alert} description`);
    assert.equal(rule.annotations?.runbook_url, RUNBOOK_BASE + rule.alert.toLowerCase());
  }
});

Deno.test("alerts name the node, and aggregations keep node and instance", () => {
  const nodeOrInstance = "{{ with $labels.node }}{{ . }}{{ else }}{{ $labels.instance }}{{ end }}";
  for (const rule of rules.filter((r) => r.alert !== "DeviceAPIServerMissing")) {
    assert.ok(rule.annotations!.description!.includes(nodeOrInstance), rule.alert);
    for (const [, by] of rule.expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
      const labels = by!.split(",").map((l) => l.trim());
      assert.ok(
        labels.includes("node") && labels.includes("instance"),
        `${rule.alert}: by (${by})`,
      );
    }
  }
});

Deno.test("absent() appears only guarded by a DaemonSet that wants pods", () => {
  for (const rule of rules.filter((r) => r.expr.includes("absent("))) {
    assert.match(
      rule.expr,
      /and on \(\)\s*\(max\(kube_daemonset_status_desired_number_scheduled\{/,
    );
  }
});

Deno.test("alert selectors are scoped to job device-api-server (or the DaemonSet, for kube-state-metrics)", () => {
  for (const rule of rules) {
    const selectors = [...rule.expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})/g)];
    assert.ok(selectors.length > 0, `${rule.alert} selects no metric`);
    for (const [, metric, selector] of selectors) {
      const scope = EXTERNAL_METRICS.includes(metric!)
        ? 'daemonset="device-api-server"'
        : 'job="device-api-server"';
      assert.ok(selector!.includes(scope), `${rule.alert}: ${metric}${selector}`);
    }
  }
});

interface RuleTest {
  input_series: { series: string }[];
  alert_rule_test?: { alertname: string; exp_alerts?: { exp_labels: Record<string, string> }[] }[];
}
const ruleTests: RuleTest[] = parse(Deno.readTextFileSync(TESTS_FILE)).tests;

Deno.test("alerts_test.yaml fires every per-node alert in a two-node fleet for the sick node only", () => {
  for (const { alert } of rules.filter((r) => r.alert !== "DeviceAPIServerMissing")) {
    const firing = ruleTests.filter((t) =>
      (t.alert_rule_test ?? []).some((c) => c.alertname === alert && (c.exp_alerts ?? []).length)
    );
    const fleet = firing.find((t) => {
      const nodes = new Set(t.input_series.map((s) => /node="([^"]+)"/.exec(s.series)?.[1]));
      const alerted = t.alert_rule_test!.filter((c) => c.alertname === alert)
        .flatMap((c) => c.exp_alerts ?? []).map((a) => a.exp_labels.node);
      return nodes.size === 2 && alerted.length > 0 && alerted.every((n) => n === "gpu-node-b");
    });
    assert.ok(fleet, `${alert}: no two-node case alerting on gpu-node-b alone`);
  }
});

Deno.test("alerts_test.yaml has a firing and a quiet case for every alert", () => {
  const cases = parse(Deno.readTextFileSync(TESTS_FILE)).tests.flatMap(
    (t: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }) =>
      t.alert_rule_test ?? [],
  );
  for (const { alert } of rules) {
    const mine = cases.filter((c: { alertname: string }) => c.alertname === alert);
    assert.ok(
      mine.some((c: { exp_alerts?: unknown[] }) => (c.exp_alerts ?? []).length > 0),
      `${alert} never fires`,
    );
    assert.ok(
      mine.some((c: { exp_alerts?: unknown[] }) => (c.exp_alerts ?? []).length === 0),
      `${alert} never quiet`,
    );
  }
});

Deno.test("the operations docs have a runbook section for every alert", () => {
  const docs = ["docs/operations.md"]
    .map((p) => {
      try {
        return Deno.readTextFileSync(REPO + p);
      } catch {
        return "";
      }
    })
    .join("\n");
  for (const { alert } of rules) {
    assert.match(docs, new RegExp(`^### ${alert}$`, "m"), `no "### ${alert}" runbook heading`);
  }
});
