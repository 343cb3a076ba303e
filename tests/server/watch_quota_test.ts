/** WatchQuota and peerOf(): pure bookkeeping of watch slots per connection and per listener. */
import assert from "node:assert/strict";
import { CapacityError } from "../../src/cache/mod.ts";
import {
  connectionTag,
  type Peer,
  peerOf,
  WatchQuota,
  type WatchQuotaName,
} from "../../src/server/mod.ts";

const provider = (n: number): Peer => peerOf(connectionTag("unix-socket", n));
const consumer = (n: number): Peer => peerOf(connectionTag("consumer-socket", n));

Deno.test("peerOf() maps tagged Unix connections to their listener and anything else to tcp", () => {
  assert.deepEqual(peerOf("unix-socket#7"), {
    listener: "unix-socket",
    connection: "unix-socket#7",
  });
  assert.deepEqual(peerOf("consumer-socket#8").listener, "consumer-socket");
  assert.deepEqual(peerOf("127.0.0.1:5555"), { listener: "tcp", connection: "127.0.0.1:5555" });
  assert.equal(peerOf("[::1]:80").listener, "tcp");
  assert.equal(peerOf("evil#1").listener, "tcp");
});

Deno.test("WatchQuota.acquire() refuses a connection's watch beyond perConnection, naming the flag", () => {
  const rejected: WatchQuotaName[] = [];
  const quota = new WatchQuota({ maxWatchers: 100, perConnection: 2, providerReserved: 0 }, {
    onReject: (q) => rejected.push(q),
  });
  const releases = [quota.acquire(provider(1)), quota.acquire(provider(1))];
  assert.throws(() => quota.acquire(provider(1)), CapacityError);
  assert.throws(
    () => quota.acquire(provider(1)),
    /the limit is 2 \(--max-watchers-per-connection\)/,
  );
  assert.deepEqual(rejected, ["watchers_per_connection", "watchers_per_connection"]);
  quota.acquire(provider(2)); // another connection is not affected
  assert.equal(quota.busiestConnection, 2);
  releases[0]!();
  releases[0]!(); // a second release gives nothing back twice
  quota.acquire(provider(1));
  assert.throws(() => quota.acquire(provider(1)), CapacityError);
});

Deno.test("WatchQuota.acquire() keeps providerReserved slots for the provider socket", () => {
  const rejected: WatchQuotaName[] = [];
  const quota = new WatchQuota({ maxWatchers: 4, perConnection: 10, providerReserved: 3 }, {
    onReject: (q) => rejected.push(q),
  });
  assert.equal(quota.consumerShare, 1);
  const release = quota.acquire(consumer(1));
  assert.throws(() => quota.acquire(peerOf("127.0.0.1:1")), /--provider-reserved-watchers/);
  assert.deepEqual(rejected, ["consumer_watchers"]);
  for (let i = 0; i < 4; i++) quota.acquire(provider(9));
  release();
  assert.equal(quota.consumerWatchers, 0);
  quota.acquire(peerOf("127.0.0.1:1"));
  assert.equal(quota.consumerWatchers, 1);
});

Deno.test("WatchQuota.consumerShare is 0 when the reservation covers every slot", () => {
  const quota = new WatchQuota({ maxWatchers: 2, perConnection: 2, providerReserved: 5 });
  assert.equal(quota.consumerShare, 0);
  assert.throws(() => quota.acquire(consumer(1)), CapacityError);
});
