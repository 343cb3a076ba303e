import assert from "node:assert/strict";
import { createLogger, type LoggerOptions, nopLogger } from "../../src/logging/mod.ts";

/** 2024-01-21 15:04:05.123 local time, so text headers are the same in every timezone. */
const T = new Date(2024, 0, 21, 15, 4, 5, 123);
const HEADER_TIME = "0121 15:04:05.123000   12345";

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    format: "text",
    verbosity: 0,
    sink: (line) => lines.push(line),
    now: () => T,
    pid: 12345,
    ...options,
  });
  return { logger, lines };
}

/** Line number of the statement that calls this. */
function callerLine(): number {
  const frame = new Error().stack?.split("\n")[2] ?? "";
  return Number(/:(\d+):\d+\)?$/.exec(frame)?.[1]);
}

Deno.test("createLogger() writes text lines whose caller is the logging call site", () => {
  const { logger, lines } = capture();
  const line = callerLine() + 1;
  logger.info("GPU updated", "gpu", "gpu-0", "resourceVersion", 42);
  assert.deepEqual(lines, [
    `I${HEADER_TIME} logger_test.ts:${line}] "GPU updated" gpu="gpu-0" resourceVersion=42`,
  ]);
});

Deno.test("createLogger() writes W for warning and E with err for error", () => {
  const { logger, lines } = capture();
  const line = callerLine() + 1;
  logger.warning("Slow provider", "provider", "nvml");
  logger.error(new Error("boom"), "Cannot sync", "gpu", "gpu-0");
  assert.deepEqual(lines, [
    `W${HEADER_TIME} logger_test.ts:${line}] "Slow provider" provider="nvml"`,
    `E${HEADER_TIME} logger_test.ts:${line + 1}] "Cannot sync" err="boom" gpu="gpu-0"`,
  ]);
});

Deno.test("createLogger() writes JSON lines with caller, v and err", () => {
  const time = new Date(1705849445123);
  const { logger, lines } = capture({ format: "json", verbosity: 3, now: () => time });
  const line = callerLine() + 1;
  logger.V(3).info("Polled", "gpus", 8);
  logger.error("plain", "Cannot poll");
  assert.deepEqual(lines, [
    `{"ts":1705849445123,"caller":"logger_test.ts:${line}","msg":"Polled","v":3,"gpus":8}`,
    `{"ts":1705849445123,"caller":"logger_test.ts:${line + 1}","msg":"Cannot poll","err":"plain"}`,
  ]);
});

Deno.test("Logger.V() drops a V(2) line at verbosity 1 and writes it at verbosity 2", () => {
  const quiet = capture({ verbosity: 1 });
  quiet.logger.V(2).info("detail");
  quiet.logger.V(1).info("summary");
  assert.equal(quiet.lines.length, 1);
  assert.match(quiet.lines[0] ?? "", /] "summary"$/);

  const loud = capture({ verbosity: 2 });
  const line = callerLine() + 1;
  loud.logger.V(2).info("detail", "n", 1);
  assert.deepEqual(loud.lines, [`I${HEADER_TIME} logger_test.ts:${line}] "detail" n=1`]);
});

Deno.test("Logger.enabled() and V().enabled report whether a level prints", () => {
  const { logger } = capture({ verbosity: 2 });
  assert.equal(logger.enabled(0), true);
  assert.equal(logger.enabled(2), true);
  assert.equal(logger.enabled(3), false);
  assert.equal(logger.V(2).enabled, true);
  assert.equal(logger.V(3).enabled, false);
  assert.equal(logger.withName("x").withValues("k", 1).enabled(3), false);
});

Deno.test("Logger.V() does not read the clock or call the sink for a disabled level", () => {
  let clockReads = 0;
  const { logger, lines } = capture({ now: () => (clockReads++, T) });
  logger.V(1).info("hidden", "k", "v");
  assert.equal(clockReads, 0);
  assert.deepEqual(lines, []);
  logger.info("shown");
  assert.equal(clockReads, 1);
});

Deno.test("Logger warning and error print at any verbosity", () => {
  const { logger, lines } = capture({ verbosity: 0 });
  logger.warning("w");
  logger.error(new Error("e"), "e");
  assert.equal(lines.length, 2);
});

Deno.test("Logger.withName() joins names with / and writes logger first after the message", () => {
  const { logger, lines } = capture();
  const named = logger.withName("server").withName("cache");
  const line = callerLine() + 1;
  named.error(new Error("boom"), "Cannot watch", "watcher", 3);
  assert.deepEqual(lines, [
    `E${HEADER_TIME} logger_test.ts:${line}] "Cannot watch" logger="server/cache" err="boom" watcher=3`,
  ]);
});

Deno.test("Logger.withValues() carries values after err and before the call's key/values", () => {
  const { logger, lines } = capture();
  const base = logger.withValues("node", "n1");
  const child = base.withValues("gpu", "gpu-0");
  const line = callerLine() + 1;
  child.error(new Error("boom"), "Cannot update", "rv", 7);
  base.info("Parent unchanged");
  assert.deepEqual(lines, [
    `E${HEADER_TIME} logger_test.ts:${line}] "Cannot update" err="boom" node="n1" gpu="gpu-0" rv=7`,
    `I${HEADER_TIME} logger_test.ts:${line + 1}] "Parent unchanged" node="n1"`,
  ]);
});

Deno.test("Logger.withValues() marks an odd trailing key (MISSING) without shifting pairs", () => {
  const { logger, lines } = capture();
  logger.withValues("orphan").info("m", "k", 1);
  assert.match(lines[0] ?? "", /] "m" orphan="\(MISSING\)" k=1$/);
});

Deno.test("Logger.withName() and withValues() apply to JSON lines", () => {
  const time = new Date(1705849445123);
  const { logger, lines } = capture({ format: "json", now: () => time });
  const line = callerLine() + 1;
  logger.withName("a").withName("b").withValues("node", "n1").warning("w", "k", true);
  assert.deepEqual(lines, [
    `{"ts":1705849445123,"logger":"a/b","caller":"logger_test.ts:${line}","msg":"w","v":0,` +
    `"level":"warning","node":"n1","k":true}`,
  ]);
});

Deno.test("Logger caller is the first frame outside src/logging, even through a helper", () => {
  const { logger, lines } = capture();
  const logVia = (msg: string) => logger.info(msg);
  const line = callerLine() - 1;
  logVia("x");
  assert.match(lines[0] ?? "", new RegExp(` logger_test\\.ts:${line}] "x"$`));
});

Deno.test("createLogger() defaults the pid to Deno.pid, right-aligned in 7 columns", () => {
  const { logger, lines } = capture({ pid: undefined });
  logger.info("m");
  const pid = String(Deno.pid).padStart(7, " ");
  assert.ok(
    (lines[0] ?? "").startsWith(`I0121 15:04:05.123000 ${pid} logger_test.ts:`),
    String(lines[0]),
  );
});

Deno.test("createLogger() throws RangeError for an unknown format or bad verbosity or pid", () => {
  const sink = () => {};
  assert.throws(
    () => createLogger({ format: "xml" as "text", verbosity: 0, sink }),
    new RangeError('Cannot create logger: format must be "text" or "json", received xml'),
  );
  assert.throws(
    () => createLogger({ format: "text", verbosity: -1, sink }),
    new RangeError("Cannot create logger: verbosity must be a non-negative integer, received -1"),
  );
  assert.throws(() => createLogger({ format: "text", verbosity: 1.5, sink }), RangeError);
  assert.throws(() => createLogger({ format: "text", verbosity: 0, pid: -2, sink }), RangeError);
});

Deno.test("createLogger() writes each line plus newline to stderr by default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/emit.ts`;
    const mod = new URL("../../src/logging/mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { createLogger } from "${mod}";\n` +
        `const logger = createLogger({ format: "json", verbosity: 0, now: () => new Date(5) });\n` +
        `logger.info("to stderr", "k", "${"x".repeat(70000)}");\n` +
        `logger.info("second");\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(out.stdout), "");
    const big = "x".repeat(4096) + `…(${70000 - 4096} more bytes)`;
    assert.equal(
      new TextDecoder().decode(out.stderr),
      `{"ts":5,"caller":"emit.ts:3","msg":"to stderr","v":0,"k":"${big}"}\n` +
        `{"ts":5,"caller":"emit.ts:4","msg":"second","v":0}\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nopLogger writes nothing and reports every level disabled", () => {
  assert.equal(nopLogger.enabled(0), false);
  assert.equal(nopLogger.V(0).enabled, false);
  assert.equal(nopLogger.withName("x"), nopLogger);
  assert.equal(nopLogger.withValues("k", "v"), nopLogger);
  nopLogger.info("m");
  nopLogger.warning("m");
  nopLogger.error(new Error("e"), "m");
  nopLogger.V(0).info("m");
});
