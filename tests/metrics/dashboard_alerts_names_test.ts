/**
 * Every metric the alert rules and the Grafana dashboard read is exported
 * by the running server: a renamed or dropped metric fails here, not
 * silently in production.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "../_helpers/server_process.ts";
import type { Exposition } from "./_exposition.ts";
import { startWithMetrics } from "./_metrics_server.ts";
import { metricNames, templateQueryNames } from "./_promql_names.ts";
import { exportedElsewhere } from "../alerts/_metrics.ts";

const opts = {};
const ALERTS = `${REPO_ROOT}charts/device-api-server/files/alerts.yaml`;
const DASHBOARD = `${REPO_ROOT}charts/device-api-server/files/dashboard.json`;
/** Series Prometheus makes itself, not the server. */
const SYNTHETIC = new Set(["up", "ALERTS", "ALERTS_FOR_STATE"]);

function alertExpressions(): string[] {
  const doc = parseYaml(Deno.readTextFileSync(ALERTS)) as {
    groups: { rules: { expr: string | number }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules.map((r) => String(r.expr)));
}

// Panel target expressions (nested rows included) and template variable queries.
function dashboardExpressions(): { targets: string[]; templates: string[] } {
  const doc = JSON.parse(Deno.readTextFileSync(DASHBOARD));
  const targets: string[] = [];
  const walk = (panels: { targets?: { expr?: string }[]; panels?: unknown[] }[] = []) => {
    for (const panel of panels) {
      for (const t of panel.targets ?? []) if (t.expr) targets.push(t.expr);
      walk(panel.panels as typeof panels);
    }
  };
  walk(doc.panels);
  const templates = (doc.templating?.list ?? [])
    .filter((v: { type: string }) => v.type === "query")
    .map((v: { query: string | { query: string } }) =>
      typeof v.query === "string" ? v.query : v.query.query
    );
  return { targets, templates };
}

// Names the server exports: every family, and a histogram's _bucket, _sum and _count.
function exportedNames(m: Exposition): Set<string> {
  const names = new Set(m.samples.map((s) => s.name));
  for (const [family, type] of m.types) {
    names.add(family);
    if (type === "histogram") {
      for (const s of ["_bucket", "_sum", "_count"]) names.add(family + s);
    }
  }
  return names;
}

// kube-state-metrics' series (read on purpose), and the NVML metrics until their work is merged.
function missing(used: string[], exported: Set<string>): string[] {
  return used.filter((n) => !SYNTHETIC.has(n) && !exported.has(n) && !exportedElsewhere(n));
}

Deno.test("metricNames() finds selected metrics and skips functions, labels and keywords", () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (job, le) (rate(a_seconds_bucket{job="x", m!~"a|b"}[5m]))) > 0.5',
    ),
    ["a_seconds_bucket"],
  );
  assert.deepEqual(
    metricNames('up{job="x"} == 0 or b_up == 0 or absent(up{job="x"}) and on (instance) c > 2e3'),
    ["b_up", "c", "up"],
  );
  assert.deepEqual(
    metricNames("sum(rate(d_total[$__rate_interval])) / sum(e_total) * 200 * 1024"),
    [
      "d_total",
      "e_total",
    ],
  );
  assert.deepEqual(templateQueryNames('label_values(f_up{job="$job"}, instance)'), ["f_up"]);
  assert.deepEqual(templateQueryNames("label_values(job)"), []);
});

Deno.test(
  "every metric in alerts.yaml and dashboard.json is exported by the running server",
  opts,
  async () => {
    const alerts = [...new Set(alertExpressions().flatMap(metricNames))];
    const { targets, templates } = dashboardExpressions();
    const panels = [...new Set(targets.flatMap(metricNames))];
    const variables = [...new Set(templates.flatMap(templateQueryNames))];
    assert.ok(alerts.length >= 5, `alert rules read ${alerts.join(", ")}`);
    assert.ok(panels.length >= 10, `dashboard panels read ${panels.join(", ")}`);

    const { server, scrape } = await startWithMetrics();
    await using _server = server;
    const client = server.client();
    try {
      await client.create({ metadata: { name: "g" }, spec: { uuid: "GPU-g" } });
      await client.get("g");
    } finally {
      client.close();
    }
    const exported = exportedNames(await scrape());
    assert.deepEqual(missing(alerts, exported), [], "metrics of alerts.yaml the server lacks");
    assert.deepEqual(
      missing(panels, exported),
      [],
      "metrics of dashboard.json panels the server lacks",
    );
    assert.deepEqual(
      missing(variables, exported),
      [],
      "metrics of dashboard.json variables the server lacks",
    );
  },
);
