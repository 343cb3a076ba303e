/**
 * Errors that callers of the cache catch and map to gRPC status codes
 * (see `src/server/status.ts`). Each names the condition, not the transport.
 *
 * @module
 */

/** Base class of the cache's domain errors. */
export class CacheError extends Error {
  /** Creates the error with a message. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A field of a request is missing or malformed; the message names the field. */
export class InvalidArgumentError extends CacheError {
  /** The offending field path, e.g. `gpu.metadata.name`. */
  readonly field: string;
  /** Creates the error for a field and a reason. */
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.field = field;
  }
}

/** The named object does not exist. */
export class NotFoundError extends CacheError {}

/** An object with that name exists and cannot be created again. */
export class AlreadyExistsError extends CacheError {}

/** A resource_version precondition does not match the stored object. */
export class ConflictError extends CacheError {}

/** A watch asked for events that are no longer (or not yet) in the history. */
export class TooOldResourceVersionError extends CacheError {}

/** A server-wide capacity (GPU count, watcher count, queue) is exhausted. */
export class CapacityError extends CacheError {}

/** The server is shutting down and takes no more work. */
export class ShuttingDownError extends CacheError {}
