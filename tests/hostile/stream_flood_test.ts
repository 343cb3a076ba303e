/**
 * A flood of calls over many connections (`--max-connections` per listener
 * × `--max-concurrent-streams` per connection): the server started exactly
 * as `deno task start` starts it (its production V8 flags: a 128 MB heap),
 * one client opening every connection the consumer socket and the provider
 * socket accept, each with 256 small GetGpu at once, twice.
 *
 * Every call the server has taken holds a stream in the HTTP/2 layer and
 * grpc-js's objects until it ends, about 4 KB of V8's heap each. At the old
 * default of 256 streams per connection (32,768 at once here) the heap
 * filled ("Fatal JavaScript out of memory", SIGTRAP) in every run, and the
 * minimal grpc-js server of `bench/minimal_server.ts` died the same way: the
 * bound has to be on how many streams the server accepts. At the default
 * of 64 the server takes at most 8,192 here and serves through the flood.
 *
 * @module
 */
import assert from "node:assert/strict";
import { LAUNCHER, startServer } from "../_helpers/server_process.ts";
import { grpcFrame, RawH2 } from "../reliability/_h2.ts";
import { encode } from "../reliability/_wire.ts";

const CONNECTIONS_PER_SOCKET = 64; // the default --max-connections
const CALLS_PER_CONNECTION = 256;
const ROUNDS = 2;

const GET = grpcFrame(encode("GetGpuRequest", { name: "gpu-0" }));

// One connection that asks for `calls` GetGpu at once and reads every answer; resolves with how
// many were answered OK once every stream has ended (the server may refuse streams over its bound).
function flood(socket: string, calls: number): { h2: RawH2; ok: Promise<number> } {
  const h2 = new RawH2({ path: socket });
  const statuses = Array.from({ length: calls }, () => RawH2.grpcStatus(h2.call("GetGpu", GET)));
  return { h2, ok: Promise.all(statuses).then((all) => all.filter((s) => s === 0).length) };
}

// The runtime's last words, when it died.
function fatal(logs: Record<string, unknown>[]): string {
  const line = logs.find((l) => /Fatal|out of memory/.test(String(l.raw ?? "")));
  return String(line?.raw ?? JSON.stringify(logs.at(-1)));
}

Deno.test("a flood of 256 calls on every connection of two sockets leaves the server serving", async () => {
  const dir = await Deno.makeTempDir({ prefix: "das-flood-" });
  const consumer = `${dir}/consumer.sock`;
  // Disposed after the server (in reverse order), which leaves its directory alone when given one.
  await using _removeDir = { [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
  await using server = await startServer({
    dir,
    command: [...LAUNCHER],
    args: [`--consumer-socket=${consumer}`],
    noTcp: true,
  });
  const writer = server.client({ provider: "seed" });
  try {
    await writer.create({ metadata: { name: "gpu-0" }, spec: { uuid: "GPU-0" } });
  } finally {
    writer.close();
  }
  let exited = false;
  server.status.then(() => exited = true);

  for (let round = 0; round < ROUNDS && !exited; round++) {
    const floods = [server.socket, consumer].flatMap((socket) =>
      Array.from({ length: CONNECTIONS_PER_SOCKET }, () => flood(socket, CALLS_PER_CONNECTION))
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settled = Promise.all(floods.map((f) => f.ok));
    const answered = await Promise.race([
      settled,
      server.status.then(() => null),
      new Promise<null>((r) => timer = setTimeout(() => r(null), 60_000)),
    ]).finally(() => clearTimeout(timer));
    for (const f of floods) f.h2.session.destroy();
    assert.ok(!exited, `the server died in round ${round}: ${fatal(server.logs)}`);
    assert.ok(answered, `round ${round}: some calls never ended`);
    assert.ok(answered.reduce((a, b) => a + b, 0) > 0, `round ${round}: no call was answered`);
    await server.disconnected();
  }

  assert.ok(!exited, "the server died");
  const reader = server.client();
  try {
    assert.equal((await reader.get("gpu-0")).metadata.name, "gpu-0");
  } finally {
    reader.close();
  }
});
