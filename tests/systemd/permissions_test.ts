/**
 * The notifier under narrow Deno permission sets, in a subprocess: the exact flags the compiled
 * binary needs, and what happens when --unstable-net or the env permission is missing.
 * Needs --unstable-net itself (for the fake NOTIFY_SOCKET).
 */
import assert from "node:assert/strict";
import { createNotifier, NOTIFY_ENV_NAMES, SENDER_SOCKET_NAME } from "../../src/systemd/mod.ts";
import { nopLogger } from "../../src/logging/mod.ts";
import { FakeNotifySocket } from "./_fake_notify_socket.ts";

const CHILD = new URL("./_notifier_child.ts", import.meta.url).pathname;

interface ChildResult {
  code: number;
  stdout: string;
  logs: Record<string, unknown>[];
}

/** How long a child may run before the test kills it and fails (a hang, not a timing check). */
const CHILD_DEADLINE_MS = 20_000;

/** Runs the child with exactly these flags (and no deno.json, so no config adds any). */
async function runChild(
  flags: string[],
  env: Record<string, string>,
  args: string[] = [],
): Promise<ChildResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-prompt", ...flags, CHILD, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, CHILD_DEADLINE_MS);
  const out = await child.output();
  clearTimeout(guard);
  assert.equal(hung, false, `the child did not exit within ${CHILD_DEADLINE_MS}ms`);
  const stderr = new TextDecoder().decode(out.stderr);
  const logs = stderr.split("\n").filter((l) => l !== "").map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return { raw: l };
    }
  });
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), logs };
}

/** Sends a probe from this process and waits for it: anything the child sent arrived before. */
async function flush(fake: FakeNotifySocket): Promise<void> {
  const probe = createNotifier({ NOTIFY_SOCKET: fake.path }, nopLogger);
  await probe.status("probe");
  probe.stop();
  await fake.waitFor((m) => m.text === "STATUS=probe");
}

Deno.test(
  "createNotifier() notifies under --unstable-net and unix/read/write/env permissions on the two sockets only",
  async () => {
    await using fake = await FakeNotifySocket.open();
    const runtime = await Deno.makeTempDir({ prefix: "das-runtime-" });
    try {
      const sender = `${runtime}/${SENDER_SOCKET_NAME}`;
      const result = await runChild(
        [
          "--unstable-net",
          `--allow-env=${NOTIFY_ENV_NAMES.join(",")}`,
          `--allow-net=unix:${fake.path},unix:${sender}`,
          `--allow-read=${sender}`,
          `--allow-write=${fake.path},${sender}`,
        ],
        { NOTIFY_SOCKET: fake.path, WATCHDOG_USEC: "400000", RUNTIME_DIRECTORY: runtime },
      );
      assert.equal(result.code, 0, JSON.stringify(result.logs));
      assert.deepEqual(result.logs.filter((l) => "err" in l || "raw" in l), []);
      await flush(fake);
      assert.deepEqual(fake.texts.filter((t) => t !== "WATCHDOG=1"), [
        `READY=1\nMAINPID=${fake.messages[0]?.fields.get("MAINPID")}\nSTATUS=child ready`,
        "STATUS=child status",
        "STOPPING=1\nSTATUS=Shutting down",
        "STATUS=probe",
      ]);
      assert.match(fake.messages[0]?.fields.get("MAINPID") ?? "", /^[0-9]+$/);
      assert.equal((await Array.fromAsync(Deno.readDir(runtime))).length, 0, "sender removed");
    } finally {
      await Deno.remove(runtime, { recursive: true });
    }
  },
);

Deno.test("createNotifier() logs that --unstable-net is missing instead of throwing", async () => {
  await using fake = await FakeNotifySocket.open();
  const result = await runChild(["-A"], { NOTIFY_SOCKET: fake.path });
  assert.equal(result.code, 0, JSON.stringify(result.logs));
  assert.equal(result.stdout.trim(), JSON.stringify({ enabled: false }));
  const failed = result.logs.filter((l) => "err" in l);
  assert.equal(failed.length, 1, JSON.stringify(result.logs));
  assert.match(String(failed[0]?.err), /--unstable-net/);
  await flush(fake);
  assert.deepEqual(fake.texts, ["STATUS=probe"]);
});

Deno.test("readNotifyEnv() treats variables outside --allow-env as unset, without prompting", async () => {
  await using fake = await FakeNotifySocket.open();
  const result = await runChild(["--unstable-net", "--allow-env=DEVICE_API_V"], {
    NOTIFY_SOCKET: fake.path,
  });
  assert.equal(result.code, 0, JSON.stringify(result.logs));
  assert.equal(result.stdout.trim(), JSON.stringify({ enabled: false }));
  assert.deepEqual(result.logs, []);
  await flush(fake);
  assert.deepEqual(fake.texts, ["STATUS=probe"]);
});

Deno.test("startWatchdog() never keeps the process alive: its timer is unref'd", async () => {
  await using fake = await FakeNotifySocket.open();
  const runtime = await Deno.makeTempDir({ prefix: "das-runtime-" });
  try {
    const result = await runChild(
      ["-A", "--unstable-net"],
      { NOTIFY_SOCKET: fake.path, WATCHDOG_USEC: "400000", RUNTIME_DIRECTORY: runtime },
      ["--no-stop"],
    );
    assert.equal(result.code, 0, JSON.stringify(result.logs));
    assert.equal(result.stdout.trim(), JSON.stringify({ enabled: true }), "stop() was skipped");
    await flush(fake);
    assert.ok(fake.texts.includes("WATCHDOG=1"), JSON.stringify(fake.texts));
  } finally {
    await Deno.remove(runtime, { recursive: true });
  }
});
