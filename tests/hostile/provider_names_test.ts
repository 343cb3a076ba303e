/**
 * Issue 13, item 8: self-declared provider names are bounded. Writes under
 * hundreds of invented `x-device-api-provider` names neither keep a real
 * provider from registering nor add metric series: the `provider` label is
 * a registered (or built-in) provider's name, or "other".
 */
import assert from "node:assert/strict";
import { ProviderClient } from "../../src/client/mod.ts";
import { DEFAULT_MAX_PROVIDERS } from "../../src/providers/mod.ts";
import { startWithMetrics } from "../metrics/_metrics_server.ts";

const opts = {};
const INVENTED = DEFAULT_MAX_PROVIDERS + 20;

Deno.test(
  "writes under invented provider names leave room for real providers and add no metric series",
  opts,
  async () => {
    const { server, scrape } = await startWithMetrics({ noTcp: true });
    await using _server = server;
    const setup = server.client();
    await setup.create({ metadata: { name: "g" }, spec: { uuid: "GPU-g" } });
    setup.close();
    for (let i = 0; i < INVENTED; i++) {
      const client = server.client({ provider: `invented-${i}` });
      try {
        await client.updateStatus("g", {
          conditions: [{ type: "Ready", status: i % 2 ? "True" : "False" }],
        });
      } finally {
        client.close();
      }
    }
    const real = new ProviderClient(`unix://${server.socket}`, { provider: "real-monitor" });
    try {
      const registered = await real.registerProvider({ leaseMs: 60_000 });
      assert.equal(registered.name, "real-monitor");
      await real.setConditions("g", { set: [{ type: "Real", status: "True" }] });
      const providers = await real.listProviders();
      assert.ok(providers.length <= DEFAULT_MAX_PROVIDERS, `${providers.length} tracked`);
      assert.ok(providers.some((p) => p.name === "real-monitor" && p.registered));

      const m = await scrape();
      const labels = new Set(
        m.find("device_api_server_cache_updates_total").map((s) => s.labels.provider),
      );
      assert.deepEqual([...labels].sort(), ["anonymous", "other", "real-monitor"]);
      assert.equal(
        m.value("device_api_server_cache_updates_total", {
          operation: "update_status",
          provider: "other",
        }),
        INVENTED,
      );
      const up = m.find("device_api_server_provider_up").map((s) => s.labels.provider);
      assert.deepEqual(up, ["real-monitor"]);
    } finally {
      real.close();
    }
  },
);
