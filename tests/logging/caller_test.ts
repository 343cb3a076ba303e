import assert from "node:assert/strict";
import { callerFromStack, UNKNOWN_CALLER } from "../../src/logging/_caller.ts";

const SKIP = "file:///repo/src/logging/";

Deno.test("callerFromStack() returns basename:line of the first frame outside the prefix", () => {
  const stack = [
    "Error",
    "    at captureCaller (file:///repo/src/logging/_caller.ts:24:17)",
    "    at KlogLogger.#emit (file:///repo/src/logging/logger.ts:150:15)",
    "    at KlogLogger.info (file:///repo/src/logging/logger.ts:118:16)",
    "    at Server.start (file:///repo/src/server/server.ts:88:12)",
    "    at file:///repo/main.ts:10:3",
  ].join("\n");
  assert.equal(callerFromStack(stack, SKIP), "server.ts:88");
});

Deno.test("callerFromStack() reads frames without a function name", () => {
  const stack = "Error\n    at file:///repo/src/logging/x.ts:1:1\n    at file:///repo/main.ts:10:3";
  assert.equal(callerFromStack(stack, SKIP), "main.ts:10");
});

Deno.test("callerFromStack() skips frames without a location and decodes the file name", () => {
  const stack = [
    "Error",
    "    at new Promise (<anonymous>)",
    "    at async Promise.all (index 0)",
    "    at async run (file:///repo/my%20dir/my%20file.ts?v=2:7:9)",
  ].join("\n");
  assert.equal(callerFromStack(stack, SKIP), "my file.ts:7");
});

Deno.test("callerFromStack() returns ???:1 when no frame qualifies", () => {
  assert.equal(callerFromStack(undefined, SKIP), UNKNOWN_CALLER);
  assert.equal(callerFromStack("Error\n    at file:///repo/src/logging/a.ts:1:2", SKIP), "???:1");
});
