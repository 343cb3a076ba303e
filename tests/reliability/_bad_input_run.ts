/**
 * Running bad-input cases against a server: the outcome of one raw call
 * (unary or watch), the seed state, and a healthy client that keeps working
 * next to the bad ones.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { DeviceApiClient, type WatchEvent } from "../../src/client/mod.ts";
import type { Method } from "./_corpus.ts";
import { GPU0, SEED } from "./_corpus.ts";
import { codeName, type RawClient, type RawResult } from "./_raw_client.ts";

/**
 * Calls `method` with raw bytes. A watch counts as OK once its first event
 * arrives, or once `opened()` says the server registered it (a watch that
 * selects nothing sends no event); it is cancelled then.
 */
export async function callRaw(
  raw: RawClient,
  method: Method,
  payload: Uint8Array,
  opened?: () => Promise<boolean>,
): Promise<RawResult> {
  if (method !== "WatchGpus") return await raw.unary(method, payload);
  const watch = raw.watch(payload);
  let settled: RawResult | undefined;
  // The first event, or else the final status: never undefined once the stream is over.
  const outcome = watch.waitFor(1).then(
    () => ({ code: status.OK, details: "" }),
    () => watch.ended,
  );
  const deadline = Date.now() + 20_000;
  while (!settled) {
    settled = await Promise.race([outcome, sleep(20)]);
    // A scrape that fails or times out under load only means "not known yet".
    if (!settled && opened && await opened().catch(() => false)) {
      settled = { code: status.OK, details: "" };
    }
    if (!settled && Date.now() > deadline) {
      settled = {
        code: status.DEADLINE_EXCEEDED,
        details: `watch neither sent, ended nor registered (${watch.events.length} events)`,
      };
    }
  }
  watch.call.cancel();
  return settled;
}

function sleep(ms: number): Promise<undefined> {
  return new Promise((r) => setTimeout(() => r(undefined), ms));
}

/** A client with its own connection. */
export function ownClient(target: string, provider?: string): DeviceApiClient {
  return new DeviceApiClient(target, {
    provider,
    channelOptions: { "grpc.use_local_subchannel_pool": 1 },
  });
}

/** Creates the seed GPUs of the corpus. */
export async function seed(client: DeviceApiClient): Promise<void> {
  for (const { namespace, name, uuid } of SEED) {
    const isGpu0 = namespace === "default" && name === "gpu-0";
    await client.create({
      metadata: {
        name,
        namespace,
        ...(isGpu0 ? { labels: GPU0.labels, annotations: GPU0.annotations } : {}),
      },
      spec: { uuid },
    });
    if (isGpu0) await client.updateStatus(name, { conditions: GPU0.conditions });
  }
}

/**
 * Puts the seed back after writes that succeeded. Objects created in other
 * namespaces stay: DeleteGpu only reaches "default".
 */
export async function restoreSeed(client: DeviceApiClient): Promise<void> {
  const { items } = await client.list();
  const key = (ns: string, n: string) => `${ns}/${n}`;
  const wanted = new Set(SEED.map((s) => key(s.namespace, s.name)));
  const present = new Set(items.map((g) => key(g.metadata.namespace, g.metadata.name)));
  for (const g of items) {
    const k = key(g.metadata.namespace, g.metadata.name);
    if (g.metadata.namespace === "default" && !wanted.has(k)) await client.delete(g.metadata.name);
  }
  for (const s of SEED) {
    const isGpu0 = s.namespace === "default" && s.name === "gpu-0";
    const metadata = {
      name: s.name,
      namespace: s.namespace,
      labels: isGpu0 ? GPU0.labels : {},
      annotations: isGpu0 ? GPU0.annotations : {},
    };
    if (!present.has(key(s.namespace, s.name))) {
      await client.create({ metadata, spec: { uuid: s.uuid } });
    }
    await client.update({ metadata, spec: { uuid: s.uuid } });
    if (s.namespace === "default") {
      await client.updateStatus(s.name, { conditions: isGpu0 ? GPU0.conditions : [] });
    }
  }
}

/** A healthy consumer that reads in a loop and watches, next to the bad input. */
export class HealthyConsumer {
  readonly #client: DeviceApiClient;
  readonly #watch: AsyncIterableIterator<WatchEvent> & { cancel(): void };
  readonly events: WatchEvent[] = [];
  readonly errors: string[] = [];
  reads = 0;
  #running = true;
  #loop: Promise<void>;
  #pump: Promise<void>;

  /** Starts listing (and getting `readName`, if given) and watching on a connection of its own. */
  constructor(target: string, readName?: string) {
    const client = ownClient(target);
    const watch = client.watch();
    this.#client = client;
    this.#watch = watch;
    this.#pump = (async () => {
      try {
        for await (const e of watch) this.events.push(e);
      } catch (err) {
        this.errors.push(`watch: ${(err as Error).message}`);
      }
    })();
    this.#loop = (async () => {
      while (this.#running) {
        try {
          await client.list();
          if (readName) await client.get(readName);
          this.reads++;
        } catch (err) {
          this.errors.push(`read: ${(err as Error).message}`);
        }
      }
    })();
  }

  /** Waits until the watch has delivered an event at `version` or later. */
  async seen(version: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!this.events.some((e) => e.object.resourceVersion >= version)) {
      if (Date.now() > deadline) throw new Error(`healthy watch never saw version ${version}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the loops and closes the connection. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    this.#watch.cancel();
    await this.#pump;
    this.#client.close();
  }
}

/** Describes an outcome for assertion messages. */
export function describe(r: RawResult): string {
  return `${codeName(r.code)} ${JSON.stringify(r.details)}`;
}
