import assert from "node:assert/strict";
import { parse } from "yaml";
import { ensureDebianPackages } from "../_tools/apt.ts";
import { isExportedSeries, selectedMetrics } from "./_metrics.ts";

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
  assert.match(res.output, /SUCCESS: 7 rules found/);
});

Deno.test("promtool test rules passes alerts_test.yaml", async () => {
  const res = await promtool("test", "rules", TESTS_FILE);
  assert.ok(res.success, res.output);
});

Deno.test("alerts.yaml defines the agreed alerts with severity and annotations", () => {
  assert.deepEqual(rules.map((r) => r.alert), [
    "DeviceAPIServerDown",
    "DeviceAPIServerHighLatency",
    "DeviceAPIServerHighErrorRate",
    "DeviceAPIServerUnhealthyGPUs",
    "DeviceAPIServerNoGPUs",
    "DeviceAPIServerWatchEvictions",
    "DeviceAPIServerHighMemory",
  ]);
  for (const rule of rules) {
    assert.ok(["critical", "warning", "info"].includes(rule.labels?.severity ?? ""), rule.alert);
    assert.ok(rule.annotations?.summary, `${rule.alert} summary`);
    assert.ok(rule.annotations?.description, `${rule.alert} description`);
    assert.equal(rule.annotations?.runbook_url, RUNBOOK_BASE + rule.alert.toLowerCase());
  }
});

Deno.test("alert expressions select only exported metrics of job device-api-server", () => {
  for (const rule of rules) {
    const metrics = selectedMetrics(rule.expr);
    assert.ok(metrics.length > 0, `${rule.alert} selects no metric`);
    for (const m of metrics) assert.ok(isExportedSeries(m), `${rule.alert}: ${m} is not exported`);
    const selectors = rule.expr.match(/\{[^}]*\}/g) ?? [];
    assert.ok(selectors.every((s) => s.includes('job="device-api-server"')), rule.alert);
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
