/**
 * `device-api-server get providers`: the pure table, and the command
 * against the real server.
 */
import assert from "node:assert/strict";
import { type Provider, providerToJson } from "../../src/api/mod.ts";
import { runCli } from "../../src/cli/mod.ts";
import { providerTable } from "../../src/cli/provider_commands.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { OPTS, providerClient } from "./_server.ts";

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

function provider(name: string, extra: Partial<Provider> = {}): Provider {
  return {
    name,
    leaseDuration: null,
    lastHeartbeatTime: { seconds: NOW / 1000 - 5, nanos: 0 },
    leaseExpired: false,
    conditionsOwned: 0,
    registered: true,
    firstSeenTime: { seconds: NOW / 1000 - 600, nanos: 0 },
    leaseExpiries: 0,
    ...extra,
  };
}

Deno.test("providerTable() shows lease, last heartbeat, state and owned conditions", () => {
  const providers = [
    provider("health-monitor", {
      leaseDuration: { seconds: 30, nanos: 0 },
      lastHeartbeatTime: { seconds: NOW / 1000 - 95, nanos: 0 },
      leaseExpired: true,
      conditionsOwned: 8,
      leaseExpiries: 2,
    }),
    provider("nvml", { registered: false, conditionsOwned: 16 }),
  ];
  assert.equal(
    providerTable(providers, { nowMs: NOW }),
    "NAME             LEASE    LAST HEARTBEAT   STATE          CONDITIONS\n" +
      "health-monitor   30s      95s              LeaseExpired   8\n" +
      "nvml             <none>   5s               Up             16\n",
  );
  assert.match(
    providerTable(providers, { nowMs: NOW, wide: true }).split("\n")[0]!,
    /CONDITIONS {3}REGISTERED {3}EXPIRIES$/,
  );
});

Deno.test("providerToJson() follows the protobuf JSON mapping", () => {
  const json = providerToJson(provider("mon", {
    leaseDuration: { seconds: 1, nanos: 500_000_000 },
    leaseExpiries: 3,
  }));
  assert.deepEqual(json, {
    name: "mon",
    leaseDuration: "1.500s",
    lastHeartbeatTime: "2024-05-01T11:59:55Z",
    leaseExpired: false,
    conditionsOwned: 0,
    registered: true,
    firstSeenTime: "2024-05-01T11:50:00Z",
    leaseExpiries: "3",
  });
});

Deno.test("runCli() get providers lists the server's providers", OPTS, async () => {
  await using server = await startServer();
  const mon = providerClient(server, "mon");
  try {
    await mon.create(testGpu("gpu-0"));
    await mon.registerProvider({ leaseMs: 30_000 });
    await mon.setConditions("gpu-0", { set: [{ type: "MonReady", status: "True" }] });
    const run = async (...args: string[]) => {
      const io = { stdout: "", stderr: "" };
      const code = await runCli(["get", "providers", "--unix-socket", server.socket, ...args], {
        io: { out: (t) => void (io.stdout += t), err: (t) => void (io.stderr += t) },
      });
      // Each run is a process of its own in real use: the next one must not start its call on
      // the connection this one is closing (the server resets it: ECONNRESET). Only mon's stays.
      await server.disconnected(1);
      return { code, ...io };
    };
    const table = await run();
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^NAME\s+LEASE\s+LAST HEARTBEAT\s+STATE\s+CONDITIONS$/);
    assert.match(lines[1]!, /^mon\s+30s\s+\d+s\s+Up\s+1$/);
    assert.equal(lines.length, 2);
    const json = await run("-o", "json");
    assert.deepEqual(JSON.parse(json.stdout).providers.map((p: { name: string }) => p.name), [
      "mon",
    ]);
    const named = await run("-o", "name");
    assert.equal(named.stdout, "provider/mon\n", named.stderr);
    const usage = await run("-n", "other");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /get providers takes no --namespace/);
  } finally {
    mon.close();
  }
});
