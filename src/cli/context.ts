/**
 * What every command runs with, and the GPU lookup they share.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import type { Gpu } from "../api/mod.ts";
import type { DeviceApiClient, ProviderClient } from "../client/mod.ts";
import { CliError, hasCode } from "./errors.ts";
import type { CliIo } from "./output.ts";

/** The parts a command uses; run_cli builds them from the process, tests from fakes. */
export interface CommandContext {
  readonly client: ProviderClient;
  readonly io: CliIo;
  /** The current time in epoch milliseconds, for ages. */
  nowMs(): number;
  /** Calls handler on Ctrl-C (SIGINT) or SIGTERM; returns a function that stops that. */
  onInterrupt(handler: () => void): () => void;
}

/** The client calls a status edit needs; a fake in tests. */
export type GpuReader = Pick<DeviceApiClient, "get">;

/**
 * Reads one GPU, turning NOT_FOUND into the CLI's `gpu "x" not found`.
 *
 * @param client the client
 * @param name the GPU's name
 * @param namespace its namespace; "default" is left out of the message
 * @throws {CliError} when the GPU does not exist
 */
export async function getGpu(client: GpuReader, name: string, namespace: string): Promise<Gpu> {
  try {
    return await client.get(name, namespace);
  } catch (err) {
    if (hasCode(err, status.NOT_FOUND)) throw new CliError(notFoundMessage(name, namespace));
    throw err;
  }
}

/** `gpu "x" not found`, naming the namespace when it is not "default". */
export function notFoundMessage(name: string, namespace: string): string {
  const where = namespace === "default" || namespace === "" ? "" : ` in namespace "${namespace}"`;
  return `gpu ${JSON.stringify(name)} not found${where}`;
}
