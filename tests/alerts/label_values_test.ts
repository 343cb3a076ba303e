/**
 * The label values the alerts and the dashboard match (the NVML provider's
 * `state`, the recommended `action`) are values the real server exports: a
 * renamed state or action must fail here, not leave an alert that never fires.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { startWithMetrics } from "../metrics/_metrics_server.ts";
import { exportedElsewhere } from "./_metrics.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const CHART = `${REPO}charts/device-api-server/files/`;
/** Labels whose values are an enumeration of the server's. */
const ENUMERATED = ["state", "action"];

/** Equality and regex matchers `label="a|b"` of an expression's selectors, per metric. */
export function enumeratedMatchers(
  expr: string,
): { metric: string; label: string; values: string[] }[] {
  const found = [];
  for (const [, metric, body] of expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    for (const [, label, op, value] of body!.matchAll(/(\w+)\s*(=~|!~|=|!=)\s*"([^"]*)"/g)) {
      if (ENUMERATED.includes(label!) && !value!.includes("$")) {
        found.push({ metric: metric!, label: `${label}${op}`, values: value!.split("|") });
      }
    }
  }
  return found;
}

Deno.test("enumeratedMatchers() lists the state and action alternatives of each selector", () => {
  assert.deepEqual(
    enumeratedMatchers('a{job="x", state="failed"} > 0 or b{action=~"A|B", node=~"$node"}'),
    [
      { metric: "a", label: "state=", values: ["failed"] },
      { metric: "b", label: "action=~", values: ["A", "B"] },
    ],
  );
});

Deno.test({
  name: "alerts and dashboard match only state and action values the server exports",
  async fn() {
    const alerts: string[] = parse(await Deno.readTextFile(`${CHART}alerts.yaml`)).groups
      .flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));
    const dashboard = JSON.parse(await Deno.readTextFile(`${CHART}dashboard.json`));
    const panels: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) =>
      (p.targets ?? []).map((t) => t.expr)
    );
    const matchers = [...alerts, ...panels].flatMap(enumeratedMatchers);
    assert.ok(matchers.some((m) => m.label.startsWith("action")), "no action matcher");
    assert.ok(matchers.some((m) => m.label.startsWith("state")), "no state matcher");
    const { server, scrape } = await startWithMetrics();
    await using _server = server;
    const exposition = await scrape();
    for (const { metric, label, values } of matchers) {
      const name = label.replace(/[=!~]+$/, "");
      const seen = new Set(exposition.find(metric).map((s) => s.labels[name]));
      if (seen.size === 0) {
        // Not exported by this build (the NVML work not merged yet): accepted only then.
        assert.ok(exportedElsewhere(metric), `${metric} has no series`);
        continue;
      }
      for (const v of values) {
        assert.ok(seen.has(v), `${metric}{${label}"${v}"}: not among ${[...seen]}`);
      }
    }
  },
});
