/**
 * deploy/systemd/device-api-server.env: every DEVICE_API_* setting, commented out, showing the
 * value the service gets when the line stays commented.
 */
import assert from "node:assert/strict";
import { FLAGS, parseConfig } from "../../src/config/mod.ts";
import { ENV_PATH, parseUnit, UNIT_PATH, unitEnvironment } from "./_unit_file.ts";

async function commentedSettings(): Promise<[string, string][]> {
  const text = await Deno.readTextFile(ENV_PATH);
  return [...text.matchAll(/^#(DEVICE_API_[A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]);
}

Deno.test("device-api-server.env lists every setting once, with the default the service sees", async () => {
  const settings = await commentedSettings();
  const names = settings.map(([name]) => name);
  assert.deepEqual(names, FLAGS.map((f) => f.env), "one line per flag, in flag-table order");
  // The unit's Environment= lines set the effective default for what they name.
  const unitEnv = unitEnvironment(parseUnit(await Deno.readTextFile(UNIT_PATH)));
  for (const [name, value] of settings) {
    const flag = FLAGS.find((f) => f.env === name)!;
    assert.equal(value, unitEnv.get(name) ?? flag.default, name);
  }
});

Deno.test("device-api-server.env sets nothing until a line is uncommented", async () => {
  const text = await Deno.readTextFile(ENV_PATH);
  const active = text.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  assert.deepEqual(active, []);
});

Deno.test("device-api-server.env shows values the server accepts when all are uncommented", async () => {
  const env = Object.fromEntries(await commentedSettings());
  const result = parseConfig([], env, { cwd: "/" });
  assert.ok(result.ok, JSON.stringify(result));
  assert.equal(result.action, "run");
});
