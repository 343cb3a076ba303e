/**
 * A real Prometheus (Debian's package) scrapes the real server: the
 * exposition parses, the target is up and our series are stored.
 */
import assert from "node:assert/strict";
import { VERSION } from "../../src/version/mod.ts";
import { ensureDebianPackages } from "../_tools/apt.ts";
import { freePort } from "./_exposition.ts";
import { startWithMetrics } from "./_metrics_server.ts";

const opts = {};
const PROMETHEUS = "/usr/bin/prometheus";
const JOB = "device-api-server";
const WAIT_MS = 30_000;

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, promql: string): Promise<VectorSample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await res.json();
  if (body.status !== "success") throw new Error(`Cannot query ${promql}: ${JSON.stringify(body)}`);
  return body.data.result;
}

// Polls until `check` passes; Prometheus needs a few scrapes after it starts.
async function waitFor<T>(what: string, check: () => Promise<T>, logs: () => string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (err) {
      last = err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(
    `Timed out after ${WAIT_MS}ms waiting for ${what}: ${last}\n${logs().slice(-3000)}`,
  );
}

Deno.test(
  "Prometheus scrapes /metrics of the real server: up is 1 and our series are stored",
  opts,
  async () => {
    await ensureDebianPackages(["prometheus"], [PROMETHEUS]);
    const { server, port } = await startWithMetrics();
    await using _server = server;
    const dir = await Deno.makeTempDir({ prefix: "das-prometheus-" });
    const webPort = freePort();
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        `  - job_name: ${JOB}`,
        "    static_configs:",
        `      - targets: ["127.0.0.1:${port}"]`,
        "",
      ].join("\n"),
    );
    const prometheus = new Deno.Command(PROMETHEUS, {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${webPort}`,
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    let output = "";
    const drain = (stream: ReadableStream<Uint8Array>) =>
      stream.pipeThrough(new TextDecoderStream()).pipeTo(
        new WritableStream({ write: (chunk) => void (output += chunk) }),
      );
    const drained = Promise.all([drain(prometheus.stdout), drain(prometheus.stderr)]);
    const base = `http://127.0.0.1:${webPort}`;
    const client = server.client();
    try {
      await client.create({ metadata: { name: "gpu-0" }, spec: { uuid: "GPU-0" } });
      const up = await waitFor("up == 1", async () => {
        const [sample] = await query(base, `up{job="${JOB}"}`);
        assert.equal(sample?.value[1], "1", `up is ${JSON.stringify(sample)}`);
        return sample;
      }, () => output);
      assert.equal(up.metric.instance, `127.0.0.1:${port}`);
      const ours = await waitFor("device_api_server_* series", async () => {
        const result = await query(base, `{__name__=~"device_api_server_.+", job="${JOB}"}`);
        assert.ok(result.length > 0, "no device_api_server_* series yet");
        return result;
      }, () => output);
      const value = (name: string) => ours.find((s) => s.metric.__name__ === name)?.value[1];
      assert.equal(value("device_api_server_up"), "1");
      assert.equal(value("device_api_server_cache_gpus_total"), "1");
      const info = ours.find((s) => s.metric.__name__ === "device_api_server_info");
      assert.equal(info?.metric.version, VERSION);
      assert.equal(info?.metric.deno_version, Deno.version.deno);
    } finally {
      client.close();
      const kill = (signal: Deno.Signal) => {
        try {
          prometheus.kill(signal);
        } catch { /* already exited */ }
      };
      kill("SIGTERM");
      const killer = setTimeout(() => kill("SIGKILL"), 10_000);
      await prometheus.status;
      clearTimeout(killer);
      await drained;
      await Deno.remove(dir, { recursive: true });
    }
  },
);
