/**
 * The benchmark's own pieces: flags, the server command line it uses, the
 * resource-version scanner its watchers rely on, percentiles, and a quick
 * end-to-end run of one case.
 */
import assert from "node:assert/strict";
import { encodeGpu, encodeWatchEvent, type Gpu } from "../../src/api/mod.ts";
import { GpuStore } from "../../src/cache/mod.ts";
import { startCommand } from "../../scripts/start.ts";
import { parseBenchArgs } from "../../bench/bench.ts";
import { serverArgs } from "../../bench/_server.ts";
import { percentile, summarize } from "../../bench/_stats.ts";
import { benchGpu, gpuVersion, watchEventVersion } from "../../bench/_wire.ts";

const REPO = new URL("../../", import.meta.url).pathname;

Deno.test("parseBenchArgs() selects cases and rejects unknown ones", () => {
  const quick = parseBenchArgs(["--quick", "--case", "get-c1,list-c1", "--case=idle"]);
  assert.deepEqual(quick.cases.map((c) => c.name), ["get-c1", "list-c1", "idle"]);
  assert.equal(quick.timing.quick, true);
  assert.equal(quick.timing.idleSeconds, 3);
  const full = parseBenchArgs(["--idle-seconds", "90"]);
  assert.ok(full.cases.length > 5);
  assert.deepEqual(full.timing, { quick: false, warmupS: 1, durationS: 5, idleSeconds: 90 });
  assert.equal(full.attempts, 1);
  assert.equal(full.waitQuietS, 0);
  assert.equal(parseBenchArgs(["--attempts", "3"]).attempts, 3);
  assert.throws(() => parseBenchArgs(["--case", "nope"]), /Cannot run case nope/);
  assert.throws(() => parseBenchArgs(["--duration", "0"]), /positive number of seconds/);
});

Deno.test("serverArgs() is the start task's command, with only the V8 flags replaced", () => {
  const socket = "/tmp/das-bench-x/device.sock";
  const args = serverArgs(socket, undefined);
  const flags = [
    `--unix-socket=${socket}`,
    "--grpc-address=",
    "--health-port=0",
    "--metrics-port=0",
    "--enable-nvml-provider=false",
    "--log-format=json",
    "--state-dir=/tmp/das-bench-x/state",
  ];
  assert.deepEqual(args, startCommand(flags, {}));
  assert.ok(!args.includes("-A"));
  const none = serverArgs(socket, "");
  assert.deepEqual(none, args.filter((a) => !a.startsWith("--v8-flags=")));
  const other = serverArgs(socket, "--max-semi-space-size=8");
  assert.equal(other.filter((a) => a.startsWith("--v8-flags=")).length, 1);
  assert.ok(other.includes("--v8-flags=--max-semi-space-size=8"));
  assert.equal(other.length, args.length);
});

Deno.test("gpuVersion() and watchEventVersion() find the version decoding would", async () => {
  const store = new GpuStore();
  for (let i = 0; i < 3; i++) await store.create(benchGpu(i), { provider: "p" });
  for (const { gpu, bytes } of store.snapshot()) {
    assert.equal(gpuVersion(bytes), gpu.resourceVersion);
    for (const type of ["ADDED", "MODIFIED", "DELETED"] as const) {
      assert.equal(watchEventVersion(encodeWatchEvent(type, bytes)), gpu.resourceVersion);
    }
  }
  const unversioned = { ...structuredClone(store.snapshot()[0]!.gpu), resourceVersion: 0 } as Gpu;
  assert.equal(gpuVersion(encodeGpu(unversioned)), -1);
});

Deno.test("percentile() is nearest-rank and summarize() merges parts", () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.ok(Number.isNaN(percentile([], 50)));
  const s = summarize([[5, 1], [3], [2, 4]]);
  assert.deepEqual(s, { count: 5, p50: 3, p99: 5, max: 5 });
});

Deno.test("bench.ts --quick --case get-c1 runs to completion and prints the table", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/bench.ts", "--quick", "--case", "get-c1", "--duration", "0.5"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const row = stdout.split("\n").find((l) => l.startsWith("| get-c1 |"));
  assert.ok(row, stdout);
  const cells = row.split("|").map((c) => c.trim());
  assert.ok(Number(cells[2]) > 0, `ops/s in ${row}`);
  assert.ok(Number(cells[5]) > 0, `server CPU per op in ${row}`);
});
