import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { ensureDebianPackages } from "../_tools/apt.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const DASHBOARD_FILE = `${REPO}charts/device-api-server/files/dashboard.json`;
const RUNBOOK_BASE = "https://github.com/NVIDIA/device-api-server/blob/main/docs/operations.md#";

interface Target {
  expr: string;
  refId: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
}

const dashboard = JSON.parse(await Deno.readTextFile(DASHBOARD_FILE));
const panels: Panel[] = dashboard.panels;
const queryPanels = panels.filter((p) => p.type !== "row");
const targets = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));

/** Replaces Grafana variables with values Prometheus accepts, so the query can be parsed. */
function concrete(expr: string): string {
  return expr.replaceAll("$__rate_interval", "5m").replaceAll("$job", "device-api-server")
    .replaceAll("$node", ".*").replaceAll("$cluster", ".*");
}

Deno.test("dashboard.json is a Grafana dashboard with a Prometheus data source variable", () => {
  assert.equal(dashboard.uid, "device-api-server");
  assert.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41);
  const vars = dashboard.templating.list;
  const ds = vars.find((v: { name: string }) => v.name === "datasource");
  assert.deepEqual([ds.type, ds.query], ["datasource", "prometheus"]);
  assert.deepEqual(vars.map((v: { name: string }) => v.name), [
    "datasource",
    "cluster",
    "job",
    "node",
  ]);
  const byName = (name: string) => vars.find((v: { name: string }) => v.name === name);
  assert.equal(byName("cluster").hide, 2, "cluster is hidden");
  assert.match(byName("node").query.query, /label_values\(device_api_server_up\{.*\}, node\)/);
  assert.deepEqual([byName("node").includeAll, byName("node").multi], [true, true]);
});

Deno.test("dashboard legends and groupings name the node, never the pod IP", () => {
  for (const { panel, target } of targets) {
    assert.doesNotMatch(target.expr, /\binstance\b/, panel.title);
    assert.doesNotMatch((target as { legendFormat?: string }).legendFormat ?? "", /instance/);
  }
  const perNode = targets.filter((t) => /by \([^)]*\bnode\b/.test(t.target.expr));
  assert.ok(perNode.length >= 8, `only ${perNode.length} per-node queries`);
});

Deno.test("dashboard links every alert's runbook", async () => {
  const alerts = parse(
    await Deno.readTextFile(`${REPO}charts/device-api-server/files/alerts.yaml`),
  ).groups.flatMap((g: { rules: { alert: string }[] }) => g.rules).map((r: { alert: string }) =>
    r.alert
  );
  const urls = new Set<string>([
    ...dashboard.links.map((l: { url: string }) => l.url),
    ...panels.flatMap((p) => ((p as { links?: { url: string }[] }).links ?? []).map((l) => l.url)),
  ]);
  assert.ok(urls.has(`${RUNBOOK_BASE}alert-runbooks`));
  const perAlert = alerts.filter((a: string) => urls.has(RUNBOOK_BASE + a.toLowerCase()));
  // DeviceAPIServerMissing and NoGPUs are about absent series: no panel shows them.
  assert.ok(perAlert.length >= alerts.length - 3, `panels link only ${perAlert.join(", ")}`);
});

Deno.test("dashboard panels have unique ids, fit the 24-column grid and use the variable data source", () => {
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const p of panels) assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
  for (const { panel, target } of targets) {
    assert.deepEqual(panel.datasource, { type: "prometheus", uid: "${datasource}" }, panel.title);
    assert.deepEqual(target.datasource, { type: "prometheus", uid: "${datasource}" }, panel.title);
    assert.ok(
      target.expr.includes('cluster=~"$cluster", job="$job", node=~"$node"'),
      `${panel.title}: not filtered`,
    );
  }
});

Deno.test("dashboard error ratio counts the same gRPC codes as DeviceAPIServerHighErrorRate", async () => {
  const alerts = await Deno.readTextFile(`${REPO}charts/device-api-server/files/alerts.yaml`);
  const codes = /grpc_code!~"([^"]+)"/.exec(alerts)?.[1];
  assert.ok(codes !== undefined);
  const exprs = targets.map((t) => t.target.expr).filter((e) => e.includes("grpc_code!~"));
  assert.ok(exprs.length > 0);
  for (const e of exprs) assert.ok(e.includes(`grpc_code!~"${codes}"`), e);
});

Deno.test("dashboard covers requests, errors, latency, GPU health, providers, cache, watches, process and NVML", () => {
  assert.deepEqual(panels.filter((p) => p.type === "row").map((p) => p.title), [
    "Server",
    "gRPC",
    "GPU health",
    "Providers",
    "Cache",
    "Watch",
    "Process",
  ]);
  const all = targets.map((t) => t.target.expr).join("\n");
  for (
    const needle of [
      "grpc_server_handled_total",
      'grpc_code!~"OK|',
      "histogram_quantile(0.5, sum by (grpc_method, le) (rate(grpc_server_handling_seconds_bucket",
      "histogram_quantile(0.99, sum by (grpc_method, le) (rate(grpc_server_handling_seconds_bucket",
      "device_api_server_cache_gpus_total",
      "device_api_server_cache_gpus_healthy",
      "device_api_server_cache_gpus_unhealthy",
      "device_api_server_cache_gpus_unknown",
      "sum by (operation, provider) (rate(device_api_server_cache_updates_total",
      "histogram_quantile(0.99, sum by (lock, le) (rate(device_api_server_cache_lock_wait_seconds_bucket",
      "device_api_server_watch_streams_active",
      "device_api_server_watch_evictions_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "sum by (state) (device_api_server_nvml_state",
      "min by (node, provider) (device_api_server_provider_up",
      "sum by (node, provider) (increase(device_api_server_provider_lease_expiries_total",
      "sum by (node) (device_api_server_cache_gpus_unknown",
      "sum by (node, action) (device_api_server_gpus_by_recommended_action",
      "max by (node) (nodejs_eventloop_lag_p99_seconds",
    ]
  ) {
    assert.ok(all.includes(needle), `no panel queries ${needle}`);
  }
});

Deno.test("promtool parses every dashboard query", async () => {
  await ensureDebianPackages(["prometheus"], ["promtool"]);
  const rules = targets.map(({ panel, target }) => ({
    record: `dashboard:panel_${panel.id}:${target.refId.toLowerCase()}`,
    expr: concrete(target.expr),
  }));
  const file = await Deno.makeTempFile({ prefix: "dapi-dashboard-", suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, stringify({ groups: [{ name: "dashboard", rules }] }));
    const out = await new Deno.Command("promtool", {
      args: ["check", "rules", file],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const dec = new TextDecoder();
    assert.ok(out.success, dec.decode(out.stdout) + dec.decode(out.stderr));
  } finally {
    await Deno.remove(file);
  }
});
