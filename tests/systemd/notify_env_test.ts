/**
 * planNotify(): how systemd's variables turn into a notification and watchdog plan.
 */
import assert from "node:assert/strict";
import { planNotify, SENDER_SOCKET_NAME } from "../../src/systemd/mod.ts";

const SOCKET = "/run/systemd/notify";

Deno.test("planNotify() halves WATCHDOG_USEC into the ping interval in milliseconds", () => {
  const cases: [string, number][] = [
    ["400000", 200],
    ["30000000", 15_000],
    ["3000", 1],
    ["1", 1],
    [String(100 * 24 * 3600 * 1_000_000), 2 ** 31 - 1],
  ];
  for (const [usec, ms] of cases) {
    const plan = planNotify({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: usec }, 42);
    assert.equal(plan.watchdogIntervalMs, ms, `WATCHDOG_USEC=${usec}`);
    assert.equal(plan.watchdogProblem, undefined);
  }
});

Deno.test("planNotify() keeps the watchdog when WATCHDOG_PID is this process", () => {
  const plan = planNotify(
    { NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: "400000", WATCHDOG_PID: "42" },
    42,
  );
  assert.equal(plan.watchdogIntervalMs, 200);
});

Deno.test("planNotify() turns the watchdog off when WATCHDOG_PID names another process", () => {
  const plan = planNotify(
    { NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: "400000", WATCHDOG_PID: "7" },
    42,
  );
  assert.equal(plan.watchdogIntervalMs, undefined);
  assert.match(plan.watchdogProblem ?? "", /WATCHDOG_PID 7 is another process/);
  assert.equal(plan.socketPath, SOCKET, "notification itself stays on");
});

Deno.test("planNotify() rejects a WATCHDOG_USEC or WATCHDOG_PID that is not a number", () => {
  for (const usec of ["0", "abc", "-5", "1.5", " 100", "99999999999999999999"]) {
    const plan = planNotify({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: usec }, 42);
    assert.equal(plan.watchdogIntervalMs, undefined, `WATCHDOG_USEC=${usec}`);
    assert.match(plan.watchdogProblem ?? "", /WATCHDOG_USEC must be a positive integer/);
  }
  const plan = planNotify({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: "1000", WATCHDOG_PID: "x" }, 42);
  assert.match(plan.watchdogProblem ?? "", /WATCHDOG_PID must be a process id/);
});

Deno.test("planNotify() leaves notification off without a problem when NOTIFY_SOCKET is unset", () => {
  for (const env of [{}, { NOTIFY_SOCKET: "" }, { WATCHDOG_USEC: "400000" }]) {
    const plan = planNotify(env, 42);
    assert.equal(plan.socketPath, undefined);
    assert.equal(plan.socketProblem, undefined);
    assert.equal(plan.watchdogIntervalMs, undefined, "no watchdog without a socket");
  }
});

Deno.test("planNotify() reports abstract, relative and overlong NOTIFY_SOCKET values", () => {
  const cases: [string, RegExp][] = [
    ["@/org/freedesktop/systemd1/notify/123", /abstract socket addresses .* not supported/],
    ["run/systemd/notify", /only absolute socket paths/],
    ["vsock:2:1234", /only absolute socket paths/],
    [`/${"x".repeat(107)}`, /longer than 107 bytes/],
  ];
  for (const [value, problem] of cases) {
    const plan = planNotify({ NOTIFY_SOCKET: value, WATCHDOG_USEC: "400000" }, 42);
    assert.equal(plan.socketPath, undefined, value);
    assert.match(plan.socketProblem ?? "", problem);
    assert.equal(plan.watchdogIntervalMs, undefined);
  }
  assert.equal(planNotify({ NOTIFY_SOCKET: `/${"x".repeat(106)}` }, 42).socketProblem, undefined);
});

Deno.test("planNotify() binds the sender in the first absolute RUNTIME_DIRECTORY", () => {
  const sender = (dir?: string) =>
    planNotify({ NOTIFY_SOCKET: SOCKET, RUNTIME_DIRECTORY: dir }, 42).senderPath;
  assert.equal(sender("/run/device-api"), `/run/device-api/${SENDER_SOCKET_NAME}`);
  assert.equal(sender("/run/device-api/"), `/run/device-api/${SENDER_SOCKET_NAME}`);
  assert.equal(sender("/run/a:/run/b"), `/run/a/${SENDER_SOCKET_NAME}`);
  assert.equal(sender("relative"), undefined);
  assert.equal(sender(""), undefined);
  assert.equal(sender(undefined), undefined);
});
