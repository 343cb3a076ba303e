/**
 * Helpers of the provider integration tests: provider clients on a running
 * server, waiting for watch events, scraping /metrics, and status checks.
 *
 * @module
 */
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import type { WatchEvent } from "../../src/client/mod.ts";
import { ProviderClient } from "../../src/client/mod.ts";
import type { ServerProcess } from "../_helpers/server_process.ts";

/** Sanitizer options of tests that run a server subprocess and gRPC channels. */
export const OPTS = {};

/** A provider client on the server's main Unix socket. */
export function providerClient(server: ServerProcess, provider?: string): ProviderClient {
  return new ProviderClient(`unix://${server.socket}`, { provider });
}

/** Reads events until `match` accepts one; fails after `timeoutMs`. Returns every event read. */
export async function readUntil(
  watch: AsyncIterableIterator<WatchEvent>,
  match: (event: WatchEvent, seen: WatchEvent[]) => boolean,
  timeoutMs = 15_000,
): Promise<WatchEvent[]> {
  const seen: WatchEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Cannot find the expected watch event: saw ${seen.length} events`)),
      timeoutMs,
    );
  });
  try {
    while (true) {
      const next = await Promise.race([watch.next(), timeout]);
      if (next.done) throw new Error("Cannot find the expected watch event: the watch ended");
      seen.push(next.value);
      if (match(next.value, seen)) return seen;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts that a call fails with a gRPC status code. */
export async function rejectsWith(p: Promise<unknown>, code: status, what = ""): Promise<void> {
  await assert.rejects(p, (err: { code: number; details: string }) => {
    assert.equal(
      err.code,
      code,
      `${what}: expected ${status[code]}, got ${status[err.code]}: ${err.details}`,
    );
    return true;
  });
}

/** The samples of one metric in a Prometheus text exposition, by their `provider` label. */
export function samplesByProvider(exposition: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^${metric}\\{provider="([^"]*)"\\} (\\S+)$`, "gm");
  for (const m of exposition.matchAll(re)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Scrapes the server's /metrics, at the port it logged. */
export async function scrape(server: ServerProcess): Promise<string> {
  const line = server.logs.find((l) => l.msg === "Serving metrics");
  assert.ok(line && typeof line.port === "number", "no 'Serving metrics' log line with a port");
  const res = await fetch(`http://127.0.0.1:${line.port}/metrics`);
  assert.equal(res.status, 200);
  return await res.text();
}

/** Watch events read in the background as they arrive, so the watcher never falls behind. */
export interface EventCollector {
  readonly events: WatchEvent[];
  /** Resolves once an event read so far, or a later one, matches; fails after `timeoutMs`. */
  until(match: (event: WatchEvent) => boolean, timeoutMs?: number): Promise<void>;
}

/** Starts reading a watch in the background. */
export function collectEvents(watch: AsyncIterableIterator<WatchEvent>): EventCollector {
  const events: WatchEvent[] = [];
  const waiters = new Set<() => void>();
  let failure: unknown;
  (async () => {
    try {
      for await (const event of watch) {
        events.push(event);
        for (const w of waiters) w();
      }
    } catch (err) {
      failure = err;
    }
    failure ??= new Error("the watch ended");
    for (const w of waiters) w();
  })();
  return {
    events,
    until(match, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (events.some(match)) finish(resolve);
          else if (failure) finish(() => reject(failure));
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`Cannot find the expected watch event among ${events.length}`))
            ),
          timeoutMs,
        );
        const finish = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
  };
}
