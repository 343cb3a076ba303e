/**
 * deploy/systemd/device-api-server.service: systemd-analyze verify at its install path, the
 * settings a Type=notify V8 service needs, and the security exposure score under a threshold.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG, FLAGS } from "../../src/config/mod.ts";
import { ensureDebianPackages } from "../_tools/apt.ts";
import { REPO_ROOT } from "../_helpers/server_process.ts";
import { lastValue, parseUnit, timeSpanSeconds, UNIT_PATH, unitEnvironment } from "./_unit_file.ts";

const UNIT_NAME = "device-api-server.service";
/** Highest `systemd-analyze security` exposure accepted (0 safest, 10 worst; "OK" is below 2). */
const MAX_EXPOSURE = 2.0;
const EXEC_START = "/usr/local/bin/device-api-server";

/**
 * A root directory holding systemd's own units, a stand-in binary at ExecStart's path and the
 * unit where an admin installs it, so `--root` checks the unit unchanged, ExecStart included.
 */
async function installedRoot(unitText: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "das-systemd-root-" });
  const systemUnits = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((d) => {
    try {
      return Deno.statSync(`${d}/multi-user.target`).isFile;
    } catch {
      return false;
    }
  });
  assert.ok(systemUnits, "systemd's units (multi-user.target) are installed");
  await Deno.mkdir(`${root}/usr/lib/systemd`, { recursive: true });
  const copy = await new Deno.Command("cp", {
    args: ["-a", systemUnits, `${root}/usr/lib/systemd/system`],
  }).output();
  assert.ok(copy.success, new TextDecoder().decode(copy.stderr));
  await Deno.mkdir(`${root}/usr/local/bin`, { recursive: true });
  await Deno.writeTextFile(`${root}${EXEC_START}`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  await Deno.mkdir(`${root}/etc/systemd/system`, { recursive: true });
  await Deno.writeTextFile(`${root}/etc/systemd/system/${UNIT_NAME}`, unitText);
  return root;
}

async function analyze(args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command("systemd-analyze", {
    args,
    env: { SYSTEMD_LOG_COLOR: "0", SYSTEMD_COLORS: "0", SYSTEMD_PAGER: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, output: text.trim() };
}

Deno.test("device-api-server.service passes systemd-analyze verify without any message", async () => {
  await ensureDebianPackages(["systemd"], ["systemd-analyze"]);
  const text = await Deno.readTextFile(UNIT_PATH);
  const root = await installedRoot(text);
  try {
    const result = await analyze(["verify", `--root=${root}`, UNIT_NAME]);
    assert.equal(result.output, "", "systemd-analyze verify printed warnings");
    assert.equal(result.code, 0);

    // The check is live: a bad directive and a missing binary are both reported.
    const broken = text.replace("[Service]\n", "[Service]\nWatchdogSecs=30s\n");
    await Deno.writeTextFile(`${root}/etc/systemd/system/${UNIT_NAME}`, broken);
    const bad = await analyze(["verify", `--root=${root}`, UNIT_NAME]);
    assert.match(bad.output, /Unknown key.*WatchdogSecs/);
    await Deno.writeTextFile(`${root}/etc/systemd/system/${UNIT_NAME}`, text);
    await Deno.remove(`${root}${EXEC_START}`);
    const missing = await analyze(["verify", `--root=${root}`, UNIT_NAME]);
    assert.match(missing.output, /device-api-server is not executable/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("systemd-analyze security rates device-api-server.service at most MAX_EXPOSURE", async () => {
  await ensureDebianPackages(["systemd"], ["systemd-analyze"]);
  const text = await Deno.readTextFile(UNIT_PATH);
  const exposure = async (unitText: string): Promise<number> => {
    const root = await installedRoot(unitText);
    try {
      const result = await analyze(["security", "--offline=true", `--root=${root}`, UNIT_NAME]);
      assert.equal(result.code, 0, result.output);
      const overall = /Overall exposure level for \S+: ([0-9.]+)/.exec(result.output);
      assert.ok(overall, result.output);
      return Number(overall[1]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  };
  const score = await exposure(text);
  assert.ok(score <= MAX_EXPOSURE, `exposure ${score} > ${MAX_EXPOSURE}`);
  // The score is live: dropping the hardening block raises it past the threshold.
  const bare = text.slice(0, text.indexOf("# Hardening that works for a V8 process.")) +
    text.slice(text.indexOf("[Install]"));
  const bareScore = await exposure(bare);
  assert.ok(bareScore > MAX_EXPOSURE, `unhardened exposure ${bareScore} exceeds the threshold`);
});

Deno.test("device-api-server.service keeps the settings a Type=notify V8 service needs", async () => {
  const unit = parseUnit(await Deno.readTextFile(UNIT_PATH));
  const service = (key: string) => lastValue(unit, "Service", key);
  const expected: Record<string, string> = {
    Type: "notify",
    NotifyAccess: "main",
    WatchdogSec: "30s",
    Restart: "on-failure",
    // Exit status 2 is invalid configuration: a restart cannot fix it.
    RestartPreventExitStatus: "2",
    StateDirectory: "device-api",
    ExecStart: EXEC_START,
    EnvironmentFile: "-/etc/default/device-api-server",
    RuntimeDirectory: "device-api",
    RuntimeDirectoryMode: "0750",
    DynamicUser: "yes",
    Group: "device-api",
    KillSignal: "SIGTERM",
    ProtectSystem: "strict",
    PrivateTmp: "yes",
    NoNewPrivileges: "yes",
    CapabilityBoundingSet: "",
    RestrictAddressFamilies: "AF_UNIX AF_INET AF_INET6",
    // V8 calls pkey_alloc at start; @system-service lacks the pkey calls.
    SystemCallFilter: "@system-service pkey_alloc pkey_free pkey_mprotect",
  };
  for (const [key, value] of Object.entries(expected)) assert.equal(service(key), value, key);
  assert.ok(service("LimitNOFILE"), "LimitNOFILE is set");
  // V8's JIT needs writable+executable memory; NVML needs the real /dev/nvidia* nodes.
  assert.notEqual(service("MemoryDenyWriteExecute"), "yes");
  assert.notEqual(service("PrivateDevices"), "yes");

  const env = unitEnvironment(unit);
  assert.equal(
    env.get("DEVICE_API_UNIX_SOCKET"),
    `/run/${service("RuntimeDirectory")}/device.sock`,
  );
  // TCP is off unless the operator sets an address: loopback TCP is open to every local user.
  assert.equal(env.get("DEVICE_API_GRPC_ADDRESS"), "");
  assert.equal(env.get("DEVICE_API_STATE_DIR"), `/var/lib/${service("StateDirectory")}`);
  // DEVICE_API_STATE_DIR belongs to the --state-dir flag, added by the state-dir work.
  const known = new Set([...FLAGS.map((f) => f.env), "DEVICE_API_STATE_DIR"]);
  for (const name of env.keys()) {
    if (name.startsWith("DEVICE_API_")) assert.ok(known.has(name), `${name} is a server setting`);
  }

  const drainSeconds = (DEFAULT_CONFIG.shutdownDelayMs + DEFAULT_CONFIG.shutdownTimeoutMs) / 1000;
  const stopSeconds = timeSpanSeconds(service("TimeoutStopSec") ?? "0");
  assert.ok(stopSeconds > drainSeconds, `TimeoutStopSec ${stopSeconds}s > ${drainSeconds}s drain`);
});

Deno.test("device-api.sysusers.conf creates the static group the unit's Group= names", async () => {
  const text = await Deno.readTextFile(`${REPO_ROOT}deploy/systemd/device-api.sysusers.conf`);
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const group = lastValue(parseUnit(await Deno.readTextFile(UNIT_PATH)), "Service", "Group");
  assert.deepEqual(lines.map((l) => l.trim().split(/\s+/)), [["g", group, "-"]]);
  await ensureDebianPackages(["systemd"], ["systemd-sysusers"]);
  // systemd-sysusers really creates it, in a scratch root.
  const root = await Deno.makeTempDir({ prefix: "das-sysusers-" });
  try {
    await Deno.mkdir(`${root}/etc`);
    await Deno.writeTextFile(`${root}/etc/group`, "root:x:0:\n");
    await Deno.writeTextFile(`${root}/etc/passwd`, "root:x:0:0:root:/root:/bin/sh\n");
    const out = await new Deno.Command("systemd-sysusers", {
      args: [`--root=${root}`, `${REPO_ROOT}deploy/systemd/device-api.sysusers.conf`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(
      await Deno.readTextFile(`${root}/etc/group`),
      new RegExp(`^${group}:x:\\d+:`, "m"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
