/**
 * Server CPU time and memory from /proc, read by the benchmark driver, and
 * how it stops a server it started.
 *
 * @module
 */

let ticksPerSecond: number | undefined;

// A server that died during a case has no /proc entry left: say that, not just ENOENT.
async function readProc(pid: number, file: string): Promise<string> {
  try {
    return await Deno.readTextFile(`/proc/${pid}/${file}`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    throw new Error(
      `Cannot measure process ${pid}: it exited (a server that died during the case?)`,
    );
  }
}

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux). */
export async function clockTicks(): Promise<number> {
  if (ticksPerSecond) return ticksPerSecond;
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output();
    ticksPerSecond = Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  } catch {
    ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** User plus system CPU time of a process (all its threads) in milliseconds. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readProc(pid, "stat");
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]); // field 14
  const stime = Number(fields[12]); // field 15
  return ((utime + stime) * 1000) / await clockTicks();
}

/**
 * Wake-ups of each live thread of a process, by thread id: its voluntary
 * context switches, the times it went to sleep and was woken.
 */
export async function threadWakeups(pid: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    // A thread may exit between the listing and the read: it counts as gone.
    const status = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/status`).catch(() => "");
    const count = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1];
    if (count !== undefined) counts.set(task.name, Number(count));
  }
  return counts;
}

/**
 * Wake-ups between two {@linkcode threadWakeups} readings: a thread started
 * in between counts in full, one that exited takes its count with it (so the
 * figure can only undercount, never go below zero).
 */
export function wakeupsBetween(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [tid, count] of after) total += count - (before.get(tid) ?? 0);
  return total;
}

/** Busy CPU time of the whole machine (every core, all processes) in milliseconds. */
export async function machineBusyMs(): Promise<number> {
  const line = (await Deno.readTextFile("/proc/stat")).split("\n", 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = t.reduce((a, b) => a + b, 0) - t[3]! - t[4]!;
  return (busy * 1000) / await clockTicks();
}

/** Memory figures of a process in MiB: current (VmRSS) and peak (VmHWM). */
export interface Memory {
  rss: number;
  hwm: number;
}

/** Reads VmRSS and VmHWM from /proc/<pid>/status. */
export async function memory(pid: number): Promise<Memory> {
  const status = await readProc(pid, "status");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
}

/** Samples VmRSS every `intervalMs` and keeps the largest value seen. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #max = 0;
  #last = 0;

  /** Starts sampling. */
  constructor(pid: number, intervalMs = 100) {
    this.#pid = pid;
    this.#timer = setInterval(() => void this.sample(), intervalMs);
  }

  /** Takes one sample now. */
  async sample(): Promise<number> {
    try {
      this.#last = (await memory(this.#pid)).rss;
      this.#max = Math.max(this.#max, this.#last);
    } catch { /* the process is gone */ }
    return this.#last;
  }

  /** Largest VmRSS sampled, in MiB. */
  get max(): number {
    return this.#max;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * Waits until the machine has been nearly idle (under `percent` of one core
 * busy) for a second, at most `maxMs`; on a shared machine this keeps other
 * work out of the measurement. Resolves with the last second's busy percent.
 */
export async function waitForQuiet(maxMs: number, percent = 15): Promise<number> {
  const deadline = Date.now() + maxMs;
  let busy = Infinity;
  while (Date.now() < deadline) {
    const before = await machineBusyMs();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    busy = (await machineBusyMs() - before) / 10;
    if (busy < percent) break;
  }
  return busy;
}

/**
 * Stops a server process: SIGTERM first, so that one run under `--cpu-prof`
 * writes its profile, then SIGKILL after `graceMs` (at once when it is 0).
 */
export async function stopProcess(child: Deno.ChildProcess, graceMs: number): Promise<void> {
  const signal = (name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch { /* gone */ }
  };
  signal(graceMs > 0 ? "SIGTERM" : "SIGKILL");
  const timer = graceMs > 0 ? setTimeout(() => signal("SIGKILL"), graceMs) : undefined;
  await child.status;
  clearTimeout(timer);
}
