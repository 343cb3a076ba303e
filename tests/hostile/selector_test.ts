/**
 * Hostile label selectors against the real server (issue 13, scenario 1): a
 * selector that made a backtracking regular expression run for ever must be
 * answered at once, on ListGpus and WatchGpus alike, while /livez keeps
 * answering.
 *
 * @module
 */
import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { freePort, startServer, testGpu } from "../_helpers/server_process.ts";

// 90 characters; each ", " doubled the old regular expression's time.
const HOSTILE = "a in (" + ", ".repeat(40) + "x";
const PROMPT_MS = 5_000; // generous: a hung event loop never answers at all

// The status of /livez, or the error that kept it from answering in time.
async function livez(port: number): Promise<number | string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/livez`, {
      signal: AbortSignal.timeout(PROMPT_MS),
    });
    await res.body?.cancel();
    return res.status;
  } catch (err) {
    return String(err);
  }
}

function assertInvalidSelector(err: unknown): true {
  const e = err as grpc.ServiceError;
  assert.equal(e.code, 3, `INVALID_ARGUMENT expected, got ${e.code}: ${e.message}`);
  assert.match(e.details, /^opts\.label_selector: /);
  return true;
}

Deno.test("ListGpus and WatchGpus answer a backtracking-bait selector at once with INVALID_ARGUMENT", async () => {
  const healthPort = freePort();
  await using server = await startServer({ args: [`--health-port=${healthPort}`] });
  const client = server.client({ timeoutMs: PROMPT_MS });
  try {
    await client.create({ ...testGpu("gpu-0"), metadata: { name: "gpu-0", labels: { a: "x" } } });

    // List: the deadline turns a frozen server into DEADLINE_EXCEEDED, a failure.
    const health = livez(healthPort);
    await assert.rejects(client.list({ labelSelector: HOSTILE }), assertInvalidSelector);
    assert.equal(await health, 200);

    // Watch: the stream fails with INVALID_ARGUMENT before any event.
    const stream = client.watch({ labelSelector: HOSTILE });
    const timer = setTimeout(() => stream.cancel(), PROMPT_MS);
    try {
      await assert.rejects(async () => {
        for await (const event of stream) assert.fail(`unexpected event ${event.type}`);
      }, assertInvalidSelector);
    } finally {
      clearTimeout(timer);
    }
    assert.equal(await livez(healthPort), 200);

    // The same bait at the length cap, and over the caps, is refused as promptly.
    for (
      const selector of [
        "a in (" + ", ".repeat(2000) + "x",
        Array.from({ length: 100 }, (_, i) => `k${i}`).join(","),
        "a" + " ".repeat(5000),
      ]
    ) {
      await assert.rejects(client.list({ labelSelector: selector }), assertInvalidSelector);
    }

    // A well-formed set selector still selects.
    const { items } = await client.list({ labelSelector: "a in (x, y)" });
    assert.deepEqual(items.map((g) => g.metadata.name), ["gpu-0"]);
    assert.equal(await livez(healthPort), 200);
  } finally {
    client.close();
  }
});
