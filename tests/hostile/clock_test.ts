/**
 * Issue 13, item 7: versions never go backwards whatever the wall clock does.
 * The server is restarted with its clock set one hour back (libfaketime), as
 * after a bad RTC before NTP: the new versions stay above the old ones
 * because the state directory keeps a high-water mark. Without a state
 * directory the same restart hands out lower versions (the control case).
 */
import assert from "node:assert/strict";
import { ensureDebianPackages } from "../_tools/apt.ts";
import { type ServerProcess, startServer, testGpu } from "../_helpers/server_process.ts";

const opts = {};

// libfaketime, preloaded into the server itself. (The `faketime` wrapper
// would sit between the test and the server and not pass signals on.)
async function libfaketime(): Promise<string> {
  await ensureDebianPackages(["faketime"], ["faketime"]);
  const out = await new Deno.Command("dpkg", { args: ["-L", "libfaketime"] }).output();
  const lib = new TextDecoder().decode(out.stdout).split("\n")
    .find((l) => l.endsWith("/libfaketime.so.1"));
  assert.ok(lib, "libfaketime.so.1 is installed");
  return lib;
}

async function createVersion(server: ServerProcess, name: string): Promise<number> {
  const client = server.client();
  try {
    return (await client.create(testGpu(name))).gpu.resourceVersion;
  } finally {
    client.close();
  }
}

// Restarts on `dir` with the server's wall clock an hour behind; the version of a new write.
async function afterRestartBehind(dir: string, args: string[] = []): Promise<number> {
  const lib = await libfaketime();
  await using server = await startServer({
    dir,
    noTcp: true,
    args,
    env: { LD_PRELOAD: lib, FAKETIME: "-1h" },
  });
  const started = server.logs.find((l) => l.msg === "Starting device-api-server");
  assert.ok(Number(started?.ts) < Date.now() - 3_000_000, "the server's clock is an hour behind");
  return await createVersion(server, "b");
}

Deno.test(
  "versions keep growing across a SIGKILL and a restart with the clock one hour back",
  opts,
  async () => {
    const first = await startServer({ noTcp: true });
    const dir = first.dir;
    try {
      const before = await createVersion(first, "a");
      assert.equal((await first.stop("SIGKILL")).signal, "SIGKILL");
      const after = await afterRestartBehind(dir);
      assert.ok(after > before, `version ${after} after the restart is not above ${before}`);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "versions follow the clock back without a state directory (the control case)",
  opts,
  async () => {
    const args = ["--state-dir="];
    const first = await startServer({ noTcp: true, args });
    const dir = first.dir;
    try {
      const before = await createVersion(first, "a");
      await first.stop();
      const after = await afterRestartBehind(dir, args);
      assert.ok(after < before, "without the mark, the clock-seeded version goes back");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
