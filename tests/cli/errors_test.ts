import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { errorMessage } from "../../src/cli/errors.ts";

const CONTEXT = { target: "unix:///run/d.sock", timeoutMs: 10_000 };

function rpcError(code: status, details: string) {
  return Object.assign(new Error(details), { code, details });
}

Deno.test("errorMessage() says the server cannot be reached, with the connect reason", () => {
  const cases: [string, string][] = [
    [
      "No connection established. Last error: Error: connect ENOENT /run/d.sock. Resolution note: ",
      "no such socket (ENOENT)",
    ],
    [
      "No connection established. Last error: Error: connect ECONNREFUSED /run/d.sock. Resolution note: ",
      "connection refused (ECONNREFUSED)",
    ],
    [
      "No connection established. Last error: Error: connect EACCES /run/d.sock",
      "permission denied (EACCES)",
    ],
    [
      "No connection established. Last error: NotCapable: Requires net access",
      "NotCapable: Requires net access",
    ],
  ];
  for (const [details, reason] of cases) {
    assert.equal(
      errorMessage(rpcError(status.UNAVAILABLE, details), CONTEXT),
      `cannot reach the device-api-server at unix:///run/d.sock: ${reason}`,
    );
  }
});

Deno.test("errorMessage() keeps the server's words for other UNAVAILABLE answers", () => {
  assert.equal(
    errorMessage(rpcError(status.UNAVAILABLE, "server is shutting down"), CONTEXT),
    "the device-api-server at unix:///run/d.sock is unavailable: server is shutting down",
  );
});

Deno.test("errorMessage() names the deadline when the server does not answer", () => {
  assert.equal(
    errorMessage(rpcError(status.DEADLINE_EXCEEDED, "Deadline exceeded"), CONTEXT),
    "the device-api-server at unix:///run/d.sock did not answer within 10s",
  );
});

Deno.test("errorMessage() prints the server's details for other codes", () => {
  assert.equal(
    errorMessage(rpcError(status.INVALID_ARGUMENT, 'invalid field "name"'), CONTEXT),
    'invalid field "name"',
  );
  assert.equal(
    errorMessage(rpcError(status.INTERNAL, ""), CONTEXT),
    "request failed with gRPC status INTERNAL",
  );
  assert.equal(errorMessage(new TypeError("boom"), CONTEXT), "boom");
});
