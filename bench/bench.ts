/**
 * `deno task bench`: the server's throughput, latency, CPU per operation and
 * memory, with the server and the load in separate processes (see
 * `docs/performance.md` for the method and the results).
 *
 * Flags: `--quick` (short smoke run), `--case NAME` (repeatable, or a
 * comma-separated list), `--idle-seconds N` (default 60), `--duration S`
 * and `--warmup S` (per case, default 5 and 1), `--json FILE` (raw results).
 * On a shared machine: `--wait-quiet S` waits up to S seconds before each
 * case for the cores to go idle, and `--attempts N` runs a case up to N
 * times, keeping the run that other processes disturbed least.
 * `--reference "COMMAND {SOCK}"` runs every case against that server too
 * (any implementation of the contract listening on the Unix socket `{SOCK}`),
 * interleaved with the project's, a fresh server per case and repetition,
 * `--repeat N` times each (default 2 with a reference, else 1), and prints
 * the medians side by side with their ratios, and the range of the CPU
 * ratio over the repetitions (each pair ran back to back).
 * `--server "COMMAND {SOCK}"` runs that command in the project's place
 * (for instance the minimal server of `minimal_server.ts` against a Go
 * server, to measure the stack's floor in one run).
 * `BENCH_V8_FLAGS` replaces the server's `--v8-flags` ("" for none);
 * `BENCH_SERVER_ARGS` adds server flags (space-separated).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CASES, type CaseSpec } from "./_cases.ts";
import { codecCosts, type CodecRow } from "./_codec_micro.ts";
import { comparisonTable } from "./_compare.ts";
import { referenceArgs, startReference } from "./_reference.ts";
import { casesTable, codecTable } from "./_report.ts";
import { type CaseResult, runCase, type Timing } from "./_run_case.ts";
import { type BenchServer, SERVER_ARGS_ENV, startServer, V8_FLAGS_ENV } from "./_server.ts";
import { waitForQuiet } from "./_proc.ts";

/** Parsed command line of the benchmark. */
export interface BenchOptions {
  cases: CaseSpec[];
  timing: Timing;
  json: string | undefined;
  /** Seconds to wait for an idle machine before each case; 0 does not wait. */
  waitQuietS: number;
  /** Runs per case at most; the least disturbed one is kept. */
  attempts: number;
  /** Command template of a server to compare with (`{SOCK}`: its socket), if any. */
  reference: string | undefined;
  /** Command template of a server to measure in the project's place, if any. */
  server: string | undefined;
  /** Repetitions of every case and server; medians are reported. */
  repeat: number;
}

/** Other processes' CPU (% of one core) under which a run counts as undisturbed. */
const QUIET_PERCENT = 15;

/** Parses the benchmark's flags. */
export function parseBenchArgs(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean", default: false },
      case: { type: "string", multiple: true },
      "idle-seconds": { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      json: { type: "string" },
      "wait-quiet": { type: "string" },
      attempts: { type: "string" },
      reference: { type: "string" },
      server: { type: "string" },
      repeat: { type: "string" },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  const names = (values.case ?? []).flatMap((c) => c.split(",")).filter((c) => c !== "");
  const unknown = names.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length > 0) {
    throw new RangeError(
      `Cannot run case ${unknown.join(", ")}: known cases are ${
        CASES.map((c) => c.name).join(", ")
      }`,
    );
  }
  const reference = values.reference;
  // Each throws without {SOCK}.
  if (reference !== undefined) referenceArgs(reference, "/check");
  if (values.server !== undefined) referenceArgs(values.server, "/check", "--server");
  return {
    cases: names.length > 0 ? CASES.filter((c) => names.includes(c.name)) : [...CASES],
    timing: {
      quick,
      warmupS: seconds("warmup", values.warmup, quick ? 0.3 : 1),
      durationS: seconds("duration", values.duration, quick ? 1 : 5),
      idleSeconds: seconds("idle-seconds", values["idle-seconds"], quick ? 3 : 60),
    },
    json: values.json,
    waitQuietS: values["wait-quiet"] === undefined
      ? 0
      : seconds("wait-quiet", values["wait-quiet"], 0),
    attempts: Math.ceil(seconds("attempts", values.attempts, 1)),
    reference,
    server: values.server,
    repeat: Math.ceil(seconds("repeat", values.repeat, reference === undefined ? 1 : 2)),
  };
}

function seconds(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new RangeError(`Cannot use --${flag}=${raw}: must be a positive number`);
  }
  return n;
}

async function main(args: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(args);
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : err}`);
    return 2;
  }
  const overrides = [V8_FLAGS_ENV, SERVER_ARGS_ENV]
    .filter((name) => Deno.env.get(name) !== undefined)
    .map((name) => `, ${name}=${JSON.stringify(Deno.env.get(name))}`);
  console.error(
    `device-api-server benchmark: deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores${overrides.join("")}`,
  );
  if (options.server) console.error(`server (in the project's place): ${options.server}`);
  if (options.reference) console.error(`reference: ${options.reference}`);
  const results: CaseResult[] = [];
  let codec: CodecRow[] | undefined;
  for (const spec of options.cases) {
    console.error(`running ${spec.name}: ${spec.title}`);
    if (spec.kind === "codec") {
      codec = await codecCosts(options.timing.quick ? 50 : 500);
      continue;
    }
    for (let rep = 0; rep < options.repeat; rep++) {
      // Interleaved, and the order flips every repetition (P R, R P, ...), so
      // that a drift in the machine's load falls on both servers alike.
      for (const server of serverOrder(options, rep)) {
        results.push(await bestOf(spec, server, options));
      }
    }
  }
  if (options.json) {
    await Deno.writeTextFile(options.json, JSON.stringify({ results, codec }, null, 2) + "\n");
  }
  if (options.reference && results.length > 0) {
    console.log(comparisonTable(results) + "\n");
  }
  if (results.length > 0) console.log(casesTable(results));
  if (codec) console.log((results.length > 0 ? "\n" : "") + codecTable(codec));
  return 0;
}

/** A server to run a case against: a label and how to start a fresh one. */
interface Starter {
  label: string;
  start: () => Promise<BenchServer>;
}

function serverOrder({ server, reference }: BenchOptions, rep: number): Starter[] {
  const project: Starter = {
    label: "project",
    start: () => server === undefined ? startServer() : startReference(server),
  };
  if (reference === undefined) return [project];
  const other: Starter = { label: "reference", start: () => startReference(reference) };
  return rep % 2 === 0 ? [project, other] : [other, project];
}

// Up to --attempts runs of one case against one server; the least disturbed one counts.
async function bestOf(
  spec: CaseSpec,
  server: Starter,
  options: BenchOptions,
): Promise<CaseResult> {
  let best: CaseResult | undefined;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (options.waitQuietS > 0) await waitForQuiet(options.waitQuietS * 1000, QUIET_PERCENT);
    const result = await runCase(spec, options.timing, server);
    console.error(`  ${server.label}: ${JSON.stringify(summaryLine(result))}`);
    if (!best || result.otherCpuPercent < best.otherCpuPercent) best = result;
    if (best.otherCpuPercent < QUIET_PERCENT) break;
  }
  return best!;
}

function summaryLine(r: CaseResult): Record<string, number | string> {
  return {
    ops: r.ops,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuPerOpUs: Math.round(r.serverCpuPerOpUs),
    hwm: Math.round(r.vmHwmMiB),
    otherCpu: Math.round(r.otherCpuPercent),
    readyMs: Math.round(r.readyMs),
  };
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
