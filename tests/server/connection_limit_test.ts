import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type * as net from "node:net";
import { nopLogger } from "../../src/logging/mod.ts";
import type { Logger } from "../../src/logging/mod.ts";
import { ConnectionLimit } from "../../src/server/connection_limit.ts";

// Enough of a socket for the limit: it closes, and it can be destroyed.
class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
}
const socket = () => new FakeSocket() as unknown as net.Socket & FakeSocket;

Deno.test("ConnectionLimit admits up to max, destroys the rest at once, and frees a slot on close", () => {
  let rejected = 0;
  const limit = new ConnectionLimit({
    max: 2,
    listener: "unix-socket",
    logger: nopLogger,
    onReject: () => rejected++,
  });
  const [a, b, c] = [socket(), socket(), socket()];
  assert.equal(limit.admit(a), true);
  assert.equal(limit.admit(b), true);
  assert.equal(limit.admit(c), false);
  assert.ok(c.destroyed && !a.destroyed && !b.destroyed);
  assert.equal(rejected, 1);
  assert.equal(limit.open, 2, "a refused connection's close frees nothing");
  a.emit("close");
  assert.equal(limit.open, 1);
  assert.equal(limit.admit(socket()), true);
});

Deno.test("ConnectionLimit logs a flood of refusals once per interval, with their count", () => {
  const lines: unknown[][] = [];
  const logger = { ...nopLogger, warning: (...args: unknown[]) => lines.push(args) } as Logger;
  const limit = new ConnectionLimit({ max: 1, listener: "tcp", logger });
  limit.admit(socket());
  for (let i = 0; i < 100; i++) limit.admit(socket());
  assert.equal(lines.length, 1);
  const [msg, ...kv] = lines[0]!;
  assert.match(String(msg), /--max-connections/);
  assert.deepEqual(kv, ["listener", "tcp", "limit", 1, "times", 1]);
});
