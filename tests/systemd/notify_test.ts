/**
 * createNotifier() against a fake NOTIFY_SOCKET: the messages, the watchdog, the sending socket
 * and the failure handling. Needs --unstable-net (Deno.listenDatagram).
 */
import assert from "node:assert/strict";
import { createLogger, type Logger } from "../../src/logging/mod.ts";
import { createNotifier, SENDER_SOCKET_NAME } from "../../src/systemd/mod.ts";
import { FakeNotifySocket } from "./_fake_notify_socket.ts";
import { exists } from "../_helpers/server_process.ts";

function jsonLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    format: "json",
    verbosity: 2,
    sink: (line) => lines.push(JSON.parse(line)),
  });
  return { log, lines };
}

const errors = (lines: Record<string, unknown>[]) => lines.filter((l) => "err" in l);

Deno.test("createNotifier() sends READY=1 with MAINPID and STATUS, then STATUS and STOPPING=1", async () => {
  await using fake = await FakeNotifySocket.open();
  const { log, lines } = jsonLogger();
  const notifier = createNotifier({ NOTIFY_SOCKET: fake.path }, log);
  try {
    assert.equal(notifier.enabled, true);
    assert.equal(notifier.watchdogIntervalMs, undefined, "no WATCHDOG_USEC, no watchdog");
    await notifier.ready();
    await notifier.status("Serving 3 GPUs\nsecond line");
    await notifier.stopping();
    const messages = await fake.waitFor(() => true, 3);
    assert.deepEqual(fake.texts, [
      `READY=1\nMAINPID=${Deno.pid}\nSTATUS=Serving`,
      "STATUS=Serving 3 GPUs second line",
      "STOPPING=1\nSTATUS=Shutting down",
    ]);
    assert.equal(messages[0]?.fields.get("MAINPID"), String(Deno.pid));
    assert.deepEqual(errors(lines), []);
  } finally {
    notifier.stop();
  }
});

Deno.test("startWatchdog() pings WATCHDOG=1 repeatedly at half of WATCHDOG_USEC", async () => {
  await using fake = await FakeNotifySocket.open();
  const { log, lines } = jsonLogger();
  const notifier = createNotifier(
    { NOTIFY_SOCKET: fake.path, WATCHDOG_USEC: "400000", WATCHDOG_PID: String(Deno.pid) },
    log,
  );
  try {
    assert.equal(notifier.watchdogIntervalMs, 200);
    notifier.startWatchdog();
    notifier.startWatchdog(); // a second call must not start a second timer
    await fake.waitFor((m) => m.text === "WATCHDOG=1", 3);
    assert.ok(fake.texts.every((t) => t === "WATCHDOG=1"), JSON.stringify(fake.texts));
    assert.deepEqual(errors(lines), []);
  } finally {
    notifier.stop();
  }
  assert.equal(notifier.watchdogIntervalMs, undefined, "stopped: no watchdog");
});

Deno.test("startWatchdog() sends nothing when WATCHDOG_PID names another process", async () => {
  await using fake = await FakeNotifySocket.open();
  const { log, lines } = jsonLogger();
  const notifier = createNotifier(
    { NOTIFY_SOCKET: fake.path, WATCHDOG_USEC: "400000", WATCHDOG_PID: String(Deno.pid + 1) },
    log,
  );
  try {
    assert.equal(notifier.enabled, true);
    assert.equal(notifier.watchdogIntervalMs, undefined);
    notifier.startWatchdog();
    await notifier.status("probe");
    await fake.waitFor((m) => m.text === "STATUS=probe");
    assert.deepEqual(fake.texts, ["STATUS=probe"], "an enabled watchdog pings at once");
    assert.ok(lines.some((l) => l.msg === "systemd watchdog is off"));
  } finally {
    notifier.stop();
  }
});

Deno.test("createNotifier() warns once and stays silent for an abstract NOTIFY_SOCKET", async () => {
  const { log, lines } = jsonLogger();
  const notifier = createNotifier(
    { NOTIFY_SOCKET: "@/org/freedesktop/systemd1/notify", WATCHDOG_USEC: "400000" },
    log,
  );
  assert.equal(notifier.enabled, false);
  assert.equal(notifier.watchdogIntervalMs, undefined);
  await notifier.ready();
  notifier.startWatchdog();
  await notifier.stopping();
  notifier.stop();
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.equal(lines[0]?.msg, "systemd notification is disabled");
  assert.match(String(lines[0]?.reason), /abstract socket addresses/);
});

Deno.test("createNotifier() does nothing and logs nothing without NOTIFY_SOCKET", async () => {
  const { log, lines } = jsonLogger();
  const notifier = createNotifier({ WATCHDOG_USEC: "400000" }, log);
  assert.equal(notifier.enabled, false);
  await notifier.ready();
  notifier.startWatchdog();
  notifier.stop();
  assert.deepEqual(lines, []);
});

Deno.test("createNotifier() binds its socket 0600 in RUNTIME_DIRECTORY and stop() removes it", async () => {
  await using fake = await FakeNotifySocket.open();
  const runtime = await Deno.makeTempDir({ prefix: "das-runtime-" });
  try {
    const sender = `${runtime}/${SENDER_SOCKET_NAME}`;
    // A socket left behind by a killed run is replaced.
    Deno.listenDatagram({ transport: "unixpacket", path: sender }).close();
    assert.ok(await exists(sender));
    const { log, lines } = jsonLogger();
    const notifier = createNotifier({ NOTIFY_SOCKET: fake.path, RUNTIME_DIRECTORY: runtime }, log);
    assert.equal(notifier.enabled, true, JSON.stringify(lines));
    const info = await Deno.lstat(sender);
    assert.ok(info.isSocket);
    assert.equal(info.mode! & 0o777, 0o600);
    await notifier.ready();
    await fake.waitFor((m) => m.fields.has("READY"));
    notifier.stop();
    assert.equal(await exists(sender), false, "sender socket removed");
    assert.equal(notifier.enabled, false);
  } finally {
    await Deno.remove(runtime, { recursive: true });
  }
});

Deno.test("createNotifier() binds in a temporary directory without RUNTIME_DIRECTORY and removes it", async () => {
  await using fake = await FakeNotifySocket.open();
  const { log, lines } = jsonLogger();
  const notifier = createNotifier({ NOTIFY_SOCKET: fake.path }, log);
  const line = lines.find((l) => l.msg === "Notifying systemd");
  const from = String(line?.from);
  assert.match(from, new RegExp(`/device-api-notify-[^/]+/${SENDER_SOCKET_NAME}$`));
  assert.ok(await exists(from));
  notifier.stop();
  assert.equal(await exists(from.slice(0, from.lastIndexOf("/"))), false, "temp dir removed");
});

Deno.test("stop() makes later calls send nothing", async () => {
  await using fake = await FakeNotifySocket.open();
  const { log } = jsonLogger();
  const stopped = createNotifier({ NOTIFY_SOCKET: fake.path, WATCHDOG_USEC: "2000" }, log);
  stopped.stop();
  stopped.stop();
  stopped.startWatchdog();
  await stopped.ready();
  await stopped.stopping();
  const probe = createNotifier({ NOTIFY_SOCKET: fake.path }, log);
  await probe.status("probe");
  probe.stop();
  await fake.waitFor((m) => m.text === "STATUS=probe");
  assert.deepEqual(fake.texts, ["STATUS=probe"]);
});

Deno.test("ready() logs an error instead of throwing when nothing listens on NOTIFY_SOCKET", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { log, lines } = jsonLogger();
    const notifier = createNotifier({ NOTIFY_SOCKET: `${dir}/missing.sock` }, log);
    assert.equal(notifier.enabled, true);
    await notifier.ready();
    await notifier.status("still quiet");
    notifier.stop();
    const failed = errors(lines);
    assert.equal(failed.length, 2, JSON.stringify(lines));
    assert.equal(failed[0]?.msg, "Cannot notify systemd");
    assert.equal(failed[0]?.message, "READY");
    assert.equal(failed[1]?.message, "STATUS");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createNotifier() logs an error and stays off when its socket path is not a socket", async () => {
  await using fake = await FakeNotifySocket.open();
  const runtime = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${runtime}/${SENDER_SOCKET_NAME}`, "keep me");
    const { log, lines } = jsonLogger();
    const notifier = createNotifier({ NOTIFY_SOCKET: fake.path, RUNTIME_DIRECTORY: runtime }, log);
    assert.equal(notifier.enabled, false);
    await notifier.ready();
    notifier.stop();
    const failed = errors(lines);
    assert.equal(failed.length, 1);
    assert.match(String(failed[0]?.err), /exists and is not a socket/);
    assert.equal(await Deno.readTextFile(`${runtime}/${SENDER_SOCKET_NAME}`), "keep me");
  } finally {
    await Deno.remove(runtime, { recursive: true });
  }
});
