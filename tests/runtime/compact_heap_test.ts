import assert from "node:assert/strict";
import { V8_FLAGS } from "../../src/runtime/mod.ts";

const MiB = 1048576;

Deno.test("compactHeap() frees start's garbage under the server's V8 flags and leaves gc unexposed", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--v8-flags=${V8_FLAGS.join(",")}`,
      new URL("./_compact_heap_probe.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const seen = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(seen.first, "the runtime exposes gc");
  assert.ok(
    seen.first.heapAfter < seen.first.heapBefore - 10 * MiB,
    `the heap shrinks by the garbage: ${JSON.stringify(seen.first)}`,
  );
  assert.ok(seen.first.ms >= 0);
  assert.ok(seen.second, "a second compaction works too");
  assert.ok(seen.second.heapAfter <= seen.first.heapAfter + MiB, JSON.stringify(seen.second));
  // The flag is set back: no global gc, and none in contexts made later.
  assert.equal(seen.globalGc, "undefined");
  assert.equal(seen.gcInNewContext, "undefined");
});
