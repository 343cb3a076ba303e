/**
 * The one place where domain errors become gRPC statuses.
 *
 * @module
 */
import { Metadata, status as Status, type StatusObject } from "@grpc/grpc-js";
import {
  AlreadyExistsError,
  CacheError,
  CapacityError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  ShuttingDownError,
  TooOldResourceVersionError,
} from "../cache/mod.ts";

/** A write reached a listener that only serves reads. */
export class PermissionDeniedError extends CacheError {}

const CODES: [new (...args: never[]) => CacheError, Status][] = [
  [InvalidArgumentError, Status.INVALID_ARGUMENT],
  [NotFoundError, Status.NOT_FOUND],
  [AlreadyExistsError, Status.ALREADY_EXISTS],
  [ConflictError, Status.ABORTED],
  [TooOldResourceVersionError, Status.OUT_OF_RANGE],
  [CapacityError, Status.RESOURCE_EXHAUSTED],
  [ShuttingDownError, Status.UNAVAILABLE],
  [PermissionDeniedError, Status.PERMISSION_DENIED],
];

/** A gRPC status to answer with. */
export type GrpcError = Partial<StatusObject> & { code: Status; details: string };

/** Maps an error to its gRPC status; anything that is not a domain error is INTERNAL (a bug). */
export function toGrpcError(err: unknown): GrpcError {
  for (const [type, code] of CODES) {
    if (err instanceof type) return { code, details: err.message, metadata: new Metadata() };
  }
  return { code: Status.INTERNAL, details: "internal error", metadata: new Metadata() };
}

/** Whether an error maps to INTERNAL, i.e. it is a bug worth logging loudly. */
export function isInternal(err: unknown): boolean {
  return !(err instanceof CacheError);
}

/** Go-style name of a status code (OK, NotFound, …), as go-grpc-prometheus labels it. */
export function codeName(code: number): string {
  return GO_NAMES[code] ?? "Unknown";
}

const GO_NAMES = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];
