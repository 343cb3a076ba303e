/**
 * The one adapter from a unary gRPC call to a service operation, shared by
 * every service (GpuService, ProviderService): the decode check, the
 * read-only rule, the caller's identity, the operation, and the mapping of
 * its outcome to a response or a status, with the same logging.
 *
 * The operation starts synchronously inside the handler, so a write asks
 * for the store's lock in the same turn that grpc-js delivered the call.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { isDecodeFailure } from "../api/mod.ts";
import { InvalidArgumentError } from "../cache/mod.ts";
import type { Logger } from "../logging/mod.ts";
import { providerOf } from "./provider_identity.ts";
import { isInternal, PermissionDeniedError, toGrpcError } from "./status.ts";

/** What every unary handler of a listener shares. */
export interface UnaryContext {
  /** Answer every write with PERMISSION_DENIED (the consumer socket). */
  readOnly: boolean;
  /** Where failures are logged (internal errors always, others at V(2)). */
  log: Logger;
}

/** An operation: the decoded request and the caller's provider identity ("" for none). */
export type UnaryOperation<T, R> = (req: T, provider: string) => Promise<R> | R;

/**
 * Builds the handler of one unary method.
 *
 * @param method the method name, for errors and logs
 * @param write whether the method writes (refused read-only; the identity is read)
 * @param context the listener's read-only flag and logger
 * @param run the operation
 * @returns the grpc-js handler
 */
export function unary<T, R>(
  method: string,
  write: boolean,
  context: UnaryContext,
  run: UnaryOperation<T, R>,
): grpc.handleUnaryCall<unknown, R> {
  return (call, callback) => {
    let result: Promise<R> | R;
    try {
      const req = call.request;
      if (isDecodeFailure(req)) {
        throw new InvalidArgumentError("request", `malformed message: ${req.decodeError}`);
      }
      if (write && context.readOnly) {
        throw new PermissionDeniedError(`${method} is a write; this listener serves reads only`);
      }
      result = run(req as T, write ? providerOf(call.metadata) : "");
    } catch (err) {
      return fail(context.log, method, err, callback);
    }
    Promise.resolve(result).then(
      (res) => callback(null, res),
      (err) => fail(context.log, method, err, callback),
    );
  };
}

function fail<R>(log: Logger, method: string, err: unknown, callback: grpc.sendUnaryData<R>): void {
  const status = toGrpcError(err);
  if (isInternal(err)) {
    log.error(err, "Request failed with an internal error", "method", method);
  } else {
    log.V(2).info(
      "Request failed",
      "method",
      method,
      "code",
      status.code,
      "details",
      status.details,
    );
  }
  callback(status);
}
