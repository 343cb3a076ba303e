/**
 * The benchmark's own pieces: flags, the server command line it uses, the
 * resource-version scanner its watchers rely on, percentiles, the
 * side-by-side comparison with a reference server, and a quick end-to-end
 * run of one case against the project and a reference.
 */
import assert from "node:assert/strict";
import { encodeGpu, encodeWatchEvent, type Gpu } from "../../src/api/mod.ts";
import { GpuStore } from "../../src/cache/mod.ts";
import { startCommand } from "../../scripts/start.ts";
import { parseBenchArgs } from "../../bench/bench.ts";
import { serverArgs } from "../../bench/_server.ts";
import { compareCell, comparisonTable, median, pairedRatioRange } from "../../bench/_compare.ts";
import { cpuMs, memory, threadWakeups, wakeupsBetween } from "../../bench/_proc.ts";
import { referenceArgs, startReference } from "../../bench/_reference.ts";
import type { CaseResult } from "../../bench/_run_case.ts";
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
  assert.equal(full.repeat, 1);
  assert.equal(full.reference, undefined);
  const ref = parseBenchArgs(["--reference", "srv --unix {SOCK}"]);
  assert.equal(ref.reference, "srv --unix {SOCK}");
  assert.equal(ref.repeat, 2);
  assert.equal(parseBenchArgs(["--reference", "srv {SOCK}", "--repeat", "5"]).repeat, 5);
  assert.throws(
    () => parseBenchArgs(["--reference", "srv --unix /tmp/x"]),
    /must contain \{SOCK\}/,
  );
  assert.equal(full.server, undefined);
  assert.equal(parseBenchArgs(["--server", "min --unix {SOCK}"]).server, "min --unix {SOCK}");
  assert.throws(() => parseBenchArgs(["--server", "min"]), /Cannot use --server "min": .*\{SOCK\}/);
  assert.throws(() => parseBenchArgs(["--case", "nope"]), /Cannot run case nope/);
  assert.throws(() => parseBenchArgs(["--duration", "0"]), /must be a positive number/);
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

Deno.test("referenceArgs() quotes the socket into the template and execs it", () => {
  assert.deepEqual(referenceArgs("srv --unix {SOCK} -v", "/tmp/a b/it's.sock"), [
    "-c",
    `exec srv --unix '/tmp/a b/it'\\''s.sock' -v`,
  ]);
});

Deno.test("startReference() reports the log when the command exits before listening", async () => {
  await assert.rejects(
    startReference("echo cannot bind {SOCK} >&2; exit 3"),
    /Cannot start the reference server .*it exited; log:\ncannot bind .*device\.sock/s,
  );
});

Deno.test("median() and compareCell() give medians and project/reference ratios", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, NaN, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([NaN])));
  assert.equal(compareCell(150, 100, 0), "150 / 100 (1.50×)");
  assert.equal(compareCell(NaN, 100, 1), "— / 100.0");
  assert.equal(compareCell(NaN, NaN, 0), "—");
});

Deno.test("pairedRatioRange() divides each repetition's project run by its reference run", () => {
  assert.equal(pairedRatioRange([110, 90, 100], [100, 100, 100]), "0.90–1.10×");
  assert.equal(pairedRatioRange([200], [100]), "2.00×");
  // Pairs without operations (NaN) or with a zero reference are left out; an unpaired run too.
  assert.equal(pairedRatioRange([NaN, 150, 120, 999], [100, 0, 100]), "1.20×");
  assert.equal(pairedRatioRange([NaN], [NaN]), "—");
});

Deno.test("comparisonTable() puts the medians of each server side by side per case", () => {
  const run = (server: string, cpu: number, lost: number): CaseResult => ({
    name: "watch-100",
    title: "",
    server,
    readyMs: 100,
    command: "deno run src/main.ts",
    v8Flags: "",
    windowS: 5,
    ops: 1000,
    opsPerS: 200,
    errors: 0,
    latency: { count: 1, p50: 1, p99: 2, max: 3 },
    serverCpuMs: 0,
    serverCpuPerOpUs: cpu,
    serverCpuPercent: 10,
    serverWakeupsPerS: 40,
    loadCpuPercent: 0,
    otherCpuPercent: 0,
    lost,
    rssIdleMiB: 60,
    rssEndMiB: 70,
    rssPeakSampledMiB: 80,
    vmHwmMiB: 80,
    clockOffsetMs: 0,
    syncRoundTripMs: 0,
  });
  const table = comparisonTable([
    run("project", 300, 0),
    run("reference", 100, 0),
    run("reference", 300, 2),
    run("project", 500, 1),
  ]);
  const row = table.split("\n").find((l) => l.startsWith("| watch-100 |"));
  assert.ok(row, table);
  const cells = row.split("|").map((c) => c.trim());
  assert.equal(cells[2], "2+2");
  assert.equal(cells[3], "400 / 200 (2.00×)"); // medians of 300, 500 and 100, 300
  assert.equal(cells[4], "1.67–3.00×"); // 300 / 100 in the first repetition, 500 / 300 in the second
  assert.equal(cells[9], "40 / 40 (1.00×)"); // server wake-ups/s
  assert.equal(cells[13], "1 / 2"); // lost events, summed
});

// A quick run of get-c1 through `bench.ts` with these extra flags; fails on a non-zero exit.
async function quickBench(...flags: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "bench/bench.ts",
      "--quick",
      "--case",
      "get-c1",
      "--duration",
      "0.5",
      ...flags,
    ],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test("bench.ts --reference runs a case against both servers and compares them", async () => {
  // The reference here is the project's own server started directly: any
  // command that serves the contract on {SOCK} will do.
  const reference = [
    Deno.execPath(),
    "run -A src/main.ts --unix-socket={SOCK} --grpc-address= --health-port=0",
    "--metrics-port=0 --enable-nvml-provider=false --state-dir={SOCK}.state",
  ].join(" ");
  const stdout = await quickBench("--repeat", "1", "--reference", reference);
  const compared = stdout.split("\n").find((l) => l.startsWith("| get-c1 | 1+1 |"));
  assert.ok(compared, stdout);
  assert.match(compared.split("|")[3]!, /^ \d+ \/ \d+ \(\d+\.\d\d×\) $/, compared);
  for (const server of ["project", "reference"]) {
    const row = stdout.split("\n").find((l) => l.startsWith(`| get-c1 | ${server} |`));
    assert.ok(row, stdout);
    const cells = row.split("|").map((c) => c.trim());
    assert.ok(Number(cells[3]) > 0, `ops/s in ${row}`);
    assert.ok(Number(cells[6]) > 0, `server CPU per op in ${row}`);
  }
});

Deno.test("bench.ts --server measures that command in the project's place", async () => {
  const dir = await Deno.makeTempDir({ prefix: "das-bench-test-" });
  try {
    const server = `${Deno.execPath()} run -A bench/minimal_server.ts --unix {SOCK}`;
    await quickBench("--server", server, "--json", `${dir}/results.json`);
    const { results } = JSON.parse(await Deno.readTextFile(`${dir}/results.json`)) as {
      results: CaseResult[];
    };
    assert.equal(results.length, 1);
    assert.equal(results[0]!.server, "project");
    assert.match(results[0]!.command, /exec .*bench\/minimal_server\.ts --unix '.*device\.sock'$/);
    assert.ok(results[0]!.ops > 0, JSON.stringify(results[0]));
    assert.ok(results[0]!.serverWakeupsPerS > 0, JSON.stringify(results[0]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "threadWakeups() counts each thread's sleeps; wakeupsBetween() never loses a thread's past",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const before = await threadWakeups(Deno.pid);
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
    const woken = wakeupsBetween(before, await threadWakeups(Deno.pid));
    assert.ok(woken >= 5, `five timers woke this process ${woken} times`);
    // A `sleep` process has one thread, which has gone to sleep once.
    const sleeper = new Deno.Command("sleep", { args: ["5"] }).spawn();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const counts = await threadWakeups(sleeper.pid);
      assert.deepEqual([...counts.keys()], [`${sleeper.pid}`]);
      assert.ok(counts.get(`${sleeper.pid}`)! >= 1, JSON.stringify([...counts]));
    } finally {
      sleeper.kill();
      await sleeper.status;
    }
    // A thread that exited is left out; one that started counts in full.
    const a = new Map([["1", 100], ["2", 50]]);
    assert.equal(wakeupsBetween(a, new Map([["1", 130], ["3", 7]])), 37);
  },
});

Deno.test("measuring a server that has exited says so instead of failing on /proc", async () => {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  assert.ok((await memory(Deno.pid)).rss > 0);
  await assert.rejects(memory(child.pid), /Cannot measure process \d+: it exited/);
  await assert.rejects(cpuMs(child.pid), /Cannot measure process \d+: it exited/);
});
