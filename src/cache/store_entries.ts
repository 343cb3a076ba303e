/**
 * The store's objects keyed by "namespace/name", with the sorted key order
 * that List, Watch snapshots and server-side rewrites walk. Not locked: the
 * store calls it inside its critical sections.
 *
 * @module
 */
import { ConflictError, NotFoundError } from "./errors.ts";
import { byNamespaceThenName } from "./store_support.ts";
import type { StoredGpu } from "./store_types.ts";

/** The stored objects and their (namespace, name) order. */
export class GpuEntries {
  readonly #map = new Map<string, StoredGpu>();
  #keys: string[] | null = null; // sorted keys, rebuilt after an insert or a delete

  /** Number of stored objects. */
  get size(): number {
    return this.#map.size;
  }

  /** The object under `key`, if any. */
  get(key: string): StoredGpu | undefined {
    return this.#map.get(key);
  }

  /** Stores or replaces the object under `key`. */
  set(key: string, stored: StoredGpu): void {
    if (!this.#map.has(key)) this.#keys = null;
    this.#map.set(key, stored);
  }

  /** Removes the object under `key`. */
  delete(key: string): void {
    if (this.#map.delete(key)) this.#keys = null;
  }

  /** Keys sorted by (namespace, name); rebuilt only after an insert or a delete. */
  sortedKeys(): readonly string[] {
    this.#keys ??= [...this.#map.keys()].sort(byNamespaceThenName);
    return this.#keys;
  }

  /** Every object sorted by (namespace, name). */
  sorted(): StoredGpu[] {
    return this.sortedKeys().map((k) => this.#map.get(k)!);
  }

  /**
   * The object under `key`.
   *
   * @throws {NotFoundError} when there is none
   */
  require(key: string): StoredGpu {
    const stored = this.#map.get(key);
    if (!stored) {
      const [namespace, name] = key.split("/");
      throw new NotFoundError(
        `gpu ${JSON.stringify(name)} not found in namespace ${JSON.stringify(namespace)}`,
      );
    }
    return stored;
  }

  /**
   * The object under `key`, checked against a version precondition (null: an unconditional write).
   *
   * @throws {NotFoundError} when there is none
   * @throws {ConflictError} when its version is not `precondition`
   */
  requireForWrite(key: string, precondition: number | null): StoredGpu {
    const stored = this.require(key);
    if (precondition !== null && stored.gpu.resourceVersion !== precondition) {
      throw new ConflictError(
        `resource version conflict on gpu ${JSON.stringify(stored.gpu.metadata.name)}: ` +
          `expected ${precondition}, stored ${stored.gpu.resourceVersion}; read it again and retry`,
      );
    }
    return stored;
  }
}
