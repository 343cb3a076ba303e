/**
 * The Go API module (api/): the committed generated code matches proto/, the module builds and
 * its unit tests pass offline (GOPATH mode, Debian's Go and grpc-go), and the Go device-plugin
 * example (examples/go/device-plugin) follows the real server across a restart, and the Go
 * provider example (examples/go/health-provider) keeps its registration across one; both reach
 * the server through DEVICE_API_ENDPOINT.
 */
import assert from "node:assert/strict";
import { generateGo, GO_GEN_DIR } from "../../scripts/gen_go.ts";
import { REPO_ROOT, startServer, testGpu } from "../_helpers/server_process.ts";
import {
  API_MODULE,
  ensureGoToolchain,
  EXAMPLE_PACKAGE,
  goWorkspace,
  PROVIDER_EXAMPLE_PACKAGE,
  removeWorkspace,
} from "./_go.ts";
import { ProviderClient } from "../../src/client/mod.ts";
import { Lines } from "./_lines.ts";
import { DroppingProxy } from "./_proxy.ts";

const opts = {};

async function filesUnder(dir: string, prefix = ""): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    const rel = `${prefix}${e.name}`;
    if (e.isDirectory) {
      for (const [k, v] of await filesUnder(`${dir}/${e.name}`, `${rel}/`)) files.set(k, v);
    } else files.set(rel, await Deno.readTextFile(`${dir}/${e.name}`));
  }
  return files;
}

Deno.test(
  "generateGo() output equals the committed api/gen/go (run `deno task gen-go` after editing proto/)",
  opts,
  async () => {
    await ensureGoToolchain();
    const tmp = await Deno.makeTempDir({ prefix: "gen-go-" });
    try {
      await generateGo(tmp);
      const fresh = await filesUnder(tmp);
      const committed = await filesUnder(`${REPO_ROOT}${GO_GEN_DIR}`);
      assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), "same files");
      for (const [name, text] of fresh) {
        assert.ok(
          committed.get(name) === text,
          `${GO_GEN_DIR}/${name} is stale: run deno task gen-go`,
        );
      }
      assert.ok(
        fresh.has("device/v1alpha1/gpu_grpc.pb.go") &&
          fresh.has("device/v1alpha1/provider_grpc.pb.go"),
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);

Deno.test(
  "the Go API module vets and its unit tests pass offline in GOPATH mode",
  opts,
  async () => {
    const ws = await goWorkspace();
    try {
      await ws.go(["vet", `${API_MODULE}/...`, EXAMPLE_PACKAGE, PROVIDER_EXAMPLE_PACKAGE]);
      const out = await ws.go(["test", `${API_MODULE}/...`]);
      assert.match(out, new RegExp(`ok\\s+${API_MODULE}/client`));
    } finally {
      await removeWorkspace(ws);
    }
  },
);

Deno.test(
  "the Go device-plugin example prints health transitions and re-lists after a server restart",
  opts,
  async () => {
    const ws = await goWorkspace();
    const bin = `${ws.gopath}/device-plugin`;
    let first = await startServer({ noTcp: true });
    const dir = first.dir;
    let plugin: Deno.ChildProcess | undefined;
    try {
      await ws.go(["build", "-o", bin, EXAMPLE_PACKAGE]);
      const writer = first.client({ provider: "test" });
      const ready = (status: string, reason = "") => ({
        conditions: [{ type: "Ready", status, reason }],
      });
      for (const name of ["gpu-0", "gpu-1"]) {
        await writer.create(testGpu(name));
        await writer.updateStatus(name, ready("True"));
      }
      plugin = new Deno.Command(bin, {
        env: { DEVICE_API_ENDPOINT: `unix://${first.socket}` },
        stdout: "piped",
        stderr: "null", // retry notices
      }).spawn();
      const out = new Lines(plugin.stdout);
      let at = await out.waitFor(/^synced at version \d+: 2 GPUs, 2 healthy$/);
      assert.ok(out.all.includes("gpu default/gpu-0 added: healthy"));
      await writer.updateStatus("gpu-0", ready("False", "XidCriticalError"));
      at = await out.waitFor(
        /^gpu default\/gpu-0: healthy -> unhealthy \(Ready=False XidCriticalError\)$/,
        at,
      );
      writer.close();

      // Restart without the state directory: the new run has neither the objects nor the
      // history of the old one (the next test and tests/state cover the restart that keeps them).
      assert.equal((await first.stop("SIGTERM", { openClients: 1 })).code, 0);
      first = await startServer({ dir, noTcp: true, args: ["--state-dir="] });
      at = await out.waitFor(/^re-listed at version \d+ \(0 GPUs\)$/, at);
      assert.ok(
        out.all.slice(0, at).some((l) => /^resuming watch from version \d+$/.test(l)),
        "tried to resume first",
      );
      assert.ok(out.all.includes("gpu default/gpu-1 removed"));
      const again = first.client({ provider: "test" });
      await again.create(testGpu("gpu-2"));
      await again.updateStatus("gpu-2", ready("False", "NVMLUnavailable"));
      await out.waitFor(
        /^gpu default\/gpu-2: healthy -> unhealthy \(Ready=False NVMLUnavailable\)$/,
        at,
      );
      again.close();
      plugin.kill("SIGTERM");
      assert.equal((await plugin.status).code, 0, "exits cleanly on SIGTERM");
      plugin = undefined;
    } finally {
      if (plugin) {
        plugin.kill("SIGKILL");
        await plugin.status;
      }
      await first[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await removeWorkspace(ws);
    }
  },
);

Deno.test(
  "the Go device-plugin example resumes across a server restart that keeps its state, without re-listing",
  opts,
  async () => {
    const ws = await goWorkspace();
    const bin = `${ws.gopath}/device-plugin`;
    let server = await startServer({ noTcp: true }); // --state-dir=<dir>/state
    const dir = server.dir;
    let plugin: Deno.ChildProcess | undefined;
    try {
      await ws.go(["build", "-o", bin, EXAMPLE_PACKAGE]);
      const writer = server.client({ provider: "test" });
      const ready = (status: string, reason = "") => ({
        conditions: [{ type: "Ready", status, reason }],
      });
      for (const name of ["gpu-0", "gpu-1"]) {
        await writer.create(testGpu(name));
        await writer.updateStatus(name, ready("True"));
      }
      plugin = new Deno.Command(bin, {
        env: { DEVICE_API_ENDPOINT: `unix://${server.socket}` },
        stdout: "piped",
        stderr: "null", // retry notices
      }).spawn();
      const out = new Lines(plugin.stdout);
      let at = await out.waitFor(/^synced at version \d+: 2 GPUs, 2 healthy$/);
      const changed = await writer.updateStatus("gpu-0", ready("False", "XidCriticalError"));
      const gpu0 = /^gpu default\/gpu-0: healthy -> unhealthy \(Ready=False XidCriticalError\)$/;
      at = await out.waitFor(gpu0, at);
      const { resourceVersion: last } = await writer.list();
      writer.close();

      // A graceful restart on the same directory: the store and its watch history survive.
      assert.equal((await server.stop("SIGTERM", { openClients: 1 })).code, 0);
      server = await startServer({ dir, noTcp: true });
      const resumedAt = await out.waitFor(/^resuming watch from version \d+$/, at);
      const from = Number(out.all[resumedAt]!.match(/\d+$/)![0]);
      assert.ok(
        from >= changed.resourceVersion && from <= Number(last),
        `resumed from the last version it saw (${from}, event ${changed.resourceVersion}, list ${last})`,
      );
      // A change after the restart arrives once, from the resumed watch.
      const again = server.client({
        provider: "test",
        channelOptions: { "grpc.use_local_subchannel_pool": 1 },
      });
      await again.updateStatus("gpu-1", ready("False", "NVMLUnavailable"));
      const gpu1 = /^gpu default\/gpu-1: healthy -> unhealthy \(Ready=False NVMLUnavailable\)$/;
      at = await out.waitFor(gpu1, resumedAt);
      again.close();
      await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show
      const count = (re: RegExp) => out.all.filter((l) => re.test(l)).length;
      assert.equal(count(gpu1), 1, "the change after the restart is seen exactly once");
      assert.equal(count(gpu0), 1, "no duplicate of an event before the restart");
      assert.ok(!out.all.some((l) => l.startsWith("re-listed")), "resumed, no re-list");
      assert.equal(count(/^synced at version /), 1, "listed once, at the start");
      assert.ok(
        !out.all.slice(resumedAt).some((l) => / (added|removed)/.test(l)),
        "nothing added or removed by the restart",
      );
      plugin.kill("SIGTERM");
      assert.equal((await plugin.status).code, 0, "exits cleanly on SIGTERM");
      plugin = undefined;
    } finally {
      if (plugin) {
        plugin.kill("SIGKILL");
        await plugin.status;
      }
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await removeWorkspace(ws);
    }
  },
);

Deno.test(
  "the Go health-provider example registers, heartbeats, and registers again after a server restart",
  opts,
  async () => {
    const ws = await goWorkspace();
    const bin = `${ws.gopath}/health-provider`;
    let server = await startServer({ noTcp: true });
    const dir = server.dir;
    let provider: Deno.ChildProcess | undefined;
    const owned = async () => {
      const c = new ProviderClient(`unix://${server.socket}`);
      try {
        const gpu = await c.get("gpu-0");
        const mine = (await c.listProviders()).find((p) => p.name === "example-go-monitor");
        return {
          condition: gpu.status.conditions.find((x) => x.type === "ExampleGoHealthy")?.owner,
          registered: mine?.registered,
          lease: mine?.leaseDuration,
        };
      } finally {
        c.close();
      }
    };
    try {
      await ws.go(["build", "-o", bin, PROVIDER_EXAMPLE_PACKAGE]);
      const writer = server.client();
      await writer.create(testGpu("gpu-0"));
      writer.close();
      provider = new Deno.Command(bin, {
        env: { DEVICE_API_ENDPOINT: `unix:${server.socket}`, LEASE: "3s" },
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const out = new Lines(provider.stdout);
      let at = await out.waitFor(/^published 1 GPUs$/);
      assert.deepEqual(await owned(), {
        condition: "example-go-monitor",
        registered: true,
        lease: { seconds: 3, nanos: 0 },
      });
      // Past the lease: heartbeats keep it alive.
      await new Promise((r) => setTimeout(r, 4000));
      const c = new ProviderClient(`unix://${server.socket}`);
      const me = (await c.listProviders()).find((p) => p.name === "example-go-monitor");
      c.close();
      assert.equal(me?.leaseExpired, false, "heartbeats within the lease");

      assert.equal((await server.stop("SIGTERM", { openClients: 1 })).code, 0);
      // A restart that lost its state (no --state-dir): registrations are gone too.
      server = await startServer({ dir, noTcp: true, args: ["--state-dir="] });
      const again = server.client();
      await again.create(testGpu("gpu-0"));
      again.close();
      // The next heartbeat is NOT_FOUND: the provider registers and publishes again.
      at = await out.waitFor(/^registered$/, at + 1);
      await out.waitFor(/^published 1 GPUs$/, at);
      assert.equal((await owned()).condition, "example-go-monitor");
      provider.kill("SIGTERM");
      assert.equal((await provider.status).code, 0);
      await out.waitFor(/^unregistered$/);
      assert.equal((await owned()).registered, undefined, "unregistered on SIGTERM");
      provider = undefined;
    } finally {
      if (provider) {
        provider.kill("SIGKILL");
        await provider.status;
      }
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await removeWorkspace(ws);
    }
  },
);

Deno.test(
  "the Go device-plugin example resumes from its last version after a dropped TCP connection",
  opts,
  async () => {
    const ws = await goWorkspace();
    const bin = `${ws.gopath}/device-plugin`;
    await using server = await startServer();
    const proxy = new DroppingProxy(server.tcpAddress);
    let plugin: Deno.ChildProcess | undefined;
    const writer = server.client({ provider: "test" });
    try {
      await ws.go(["build", "-o", bin, EXAMPLE_PACKAGE]);
      for (const name of ["gpu-0", "gpu-1"]) await writer.create(testGpu(name));
      plugin = new Deno.Command(bin, {
        env: { DEVICE_API_ENDPOINT: `127.0.0.1:${proxy.port}` },
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const out = new Lines(plugin.stdout);
      let at = await out.waitFor(/^synced at version \d+: 2 GPUs, 2 healthy$/);
      // "synced" comes after the List, before the watch is open: an event proves the watch is
      // open, or the cut could land before it and the watch would never break.
      await writer.create(testGpu("gpu-2"));
      at = await out.waitFor(/^gpu default\/gpu-2 added: healthy$/, at);
      assert.ok(proxy.cut() > 0, "the plugin was connected through the proxy");
      // Changes while the connection is down reach the plugin from the server's history.
      await writer.updateStatus("gpu-1", {
        conditions: [{ type: "Ready", status: "False", reason: "Drained" }],
      });
      await writer.delete("gpu-0");
      at = await out.waitFor(/^resuming watch from version \d+$/, at);
      at = await out.waitFor(
        /^gpu default\/gpu-1: healthy -> unhealthy \(Ready=False Drained\)$/,
        at,
      );
      await out.waitFor(/^gpu default\/gpu-0 removed$/, at);
      assert.ok(!out.all.some((l) => l.startsWith("re-listed")), "resumed, no re-list");
      plugin.kill("SIGTERM");
      assert.equal((await plugin.status).code, 0);
      plugin = undefined;
    } finally {
      writer.close();
      if (plugin) {
        plugin.kill("SIGKILL");
        await plugin.status;
      }
      proxy.close();
      await removeWorkspace(ws);
    }
  },
);
