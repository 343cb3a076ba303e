/**
 * The CLI's failures and their one-line messages: usage mistakes (exit 2), and failed requests
 * (exit 1) turned from gRPC status codes into sentences an operator can act on. Pure.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { formatDurationMs } from "../config/mod.ts";

/** A command-line mistake: the CLI prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  /** @param message what is wrong, lower case, e.g. `unknown flag: --foo` */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure already phrased for the operator: the CLI prints `error: <message>` and exits 1. */
export class CliError extends Error {
  /** @param message the sentence to print, lower case, e.g. `gpu "x" not found` */
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/** The shape of a grpc-js call error. */
interface RpcError {
  readonly code: number;
  readonly details?: string;
}

/** Reports whether err is a gRPC call error with the given code. */
export function hasCode(err: unknown, code: status): boolean {
  return isRpcError(err) && err.code === code;
}

function isRpcError(err: unknown): err is RpcError {
  return typeof err === "object" && err !== null && typeof (err as RpcError).code === "number" &&
    "details" in err;
}

/** Where the CLI was talking to, for messages. */
export interface ErrorContext {
  /** The grpc-js target, e.g. `unix:///var/run/device-api/device.sock`. */
  readonly target: string;
  /** The request deadline in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * Phrases any failure of a command as one line (without the `error: ` prefix).
 *
 * @param err what was thrown
 * @param context the server's address and the deadline
 * @example Usage
 * ```ts
 * import { status } from "@grpc/grpc-js";
 * import { errorMessage } from "./errors.ts";
 * const err = {
 *   code: status.UNAVAILABLE,
 *   details: "No connection established. Last error: Error: connect ENOENT /run/d.sock",
 * };
 * errorMessage(err, { target: "unix:///run/d.sock", timeoutMs: 10_000 });
 * // "cannot reach the device-api-server at unix:///run/d.sock: no such socket (ENOENT)"
 * ```
 */
export function errorMessage(err: unknown, context: ErrorContext): string {
  if (!isRpcError(err)) return err instanceof Error ? err.message : String(err);
  const details = err.details ?? "";
  switch (err.code) {
    case status.UNAVAILABLE: {
      const lastError =
        /^No connection established\. Last error: (?:Error: )?(.*?)(?:\. Resolution note:.*)?$/s
          .exec(details);
      if (lastError !== null || details === "") {
        return `cannot reach the device-api-server at ${context.target}: ${
          connectReason(lastError?.[1] ?? "no connection")
        }`;
      }
      return `the device-api-server at ${context.target} is unavailable: ${details}`;
    }
    case status.DEADLINE_EXCEEDED:
      return `the device-api-server at ${context.target} did not answer within ${
        formatDurationMs(context.timeoutMs)
      }`;
    default:
      return details !== "" ? details : `request failed with gRPC status ${status[err.code]}`;
  }
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: "no such socket",
  ECONNREFUSED: "connection refused",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENOTSOCK: "not a socket",
};

/** `connect ENOENT /path` becomes `no such socket (ENOENT)`; anything else is kept. */
function connectReason(text: string): string {
  const code = /\b(E[A-Z]+)\b/.exec(text)?.[1];
  const word = code === undefined ? undefined : ERRNO_WORDS[code];
  return word === undefined ? text : `${word} (${code})`;
}
