/**
 * Shared fixtures of the cache tests: GPU inputs, a recording watch sink,
 * watch-event decoding and microtask ticks. No I/O beyond loading the proto.
 *
 * @module
 */
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { messageType, TO_OBJECT } from "../../src/api/mod.ts";
import type { Condition, DeepPartial, Gpu } from "../../src/api/mod.ts";
import {
  type CacheError,
  GpuStore,
  InvalidArgumentError,
  type StoreOptions,
} from "../../src/cache/mod.ts";
import type { WatchSink } from "../../src/cache/mod.ts";

/** The anonymous writer most tests use. */
export const CTX = { provider: "test-provider" };

/**
 * A store with a small, fixed first version and an injectable wall clock. Watch
 * events are delivered by the production scheduler: await {@linkcode delivered}
 * before looking at what a sink received.
 */
export function newStore(options: StoreOptions = {}): GpuStore {
  let uid = 0;
  return new GpuStore({
    initialVersion: 100,
    now: () => 1_000_000,
    uid: () => `uid-${++uid}`,
    ...options,
  });
}

/** A minimal valid CreateGpu input, with overrides merged into metadata/spec/status. */
export function gpuInput(
  name: string,
  overrides: {
    namespace?: string;
    uuid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    conditions?: DeepPartial<Condition>[];
    productName?: string;
  } = {},
): DeepPartial<Gpu> {
  return {
    metadata: {
      name,
      namespace: overrides.namespace ?? "",
      labels: overrides.labels ?? {},
      annotations: overrides.annotations ?? {},
    },
    spec: { uuid: overrides.uuid ?? `GPU-${name}`, productName: overrides.productName ?? "" },
    status: { conditions: overrides.conditions ?? [] },
  };
}

/** A condition input of the given type and status. */
export function cond(
  type: string,
  status: string,
  extra: DeepPartial<Condition> = {},
): DeepPartial<Condition> {
  return { type, status, ...extra };
}

/**
 * Waits until the broadcaster's batched flush, scheduled with the production
 * scheduler (`setImmediate`) by the writes so far, has run.
 */
export function delivered(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Yields to the microtask queue `n` times, so queued lock grants can run. */
export async function ticks(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track<T>(promise: Promise<T>): { readonly done: boolean; promise: Promise<T> } {
  const state = { done: false, promise };
  promise.then(() => (state.done = true), () => (state.done = true));
  return state;
}

/** A decoded WatchGpusResponse. */
export interface DecodedEvent {
  type: string;
  object: Gpu;
}

const watchResponse = messageType("nvidia.device.v1alpha1.WatchGpusResponse");

/** Decodes WatchGpusResponse bytes into the normalized plain shape. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  return watchResponse.toObject(watchResponse.decode(bytes), TO_OBJECT) as DecodedEvent;
}

/** Decodes WatchGpusResponse bytes keeping only the fields present on the wire. */
export function decodeEventSparse(bytes: Uint8Array): Record<string, unknown> {
  return watchResponse.toObject(watchResponse.decode(bytes), { longs: Number });
}

/** A WatchSink that records what it is given and can simulate back-pressure. */
export class FakeSink implements WatchSink {
  /** Every byte array written, in order. */
  readonly writes: Uint8Array[] = [];
  /** Every error the sink was failed with. */
  readonly failures: CacheError[] = [];
  /** What `write` returns; false simulates a full transport buffer. */
  accepting = true;

  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes);
    return this.accepting;
  }

  fail(error: CacheError): void {
    this.failures.push(error);
  }

  /** The written events, decoded. */
  events(): DecodedEvent[] {
    return this.writes.map(decodeEvent);
  }

  /** The written events as `TYPE name@version` strings, for compact assertions. */
  summary(): string[] {
    return this.events().map((e) =>
      e.type === "BOOKMARK"
        ? `BOOKMARK@${e.object.metadata.resourceVersion}`
        : `${e.type} ${e.object.metadata.name}@${e.object.resourceVersion}`
    );
  }
}

/** Asserts that a promise rejects with an InvalidArgumentError naming `field`. */
export async function rejectsField(promise: Promise<unknown>, field: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${err}`);
    assert.equal(err.field, field);
    assert.ok(err.message.startsWith(`${field}: `), err.message);
    return true;
  });
}
