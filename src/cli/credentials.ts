/**
 * The channel credentials of a connection: plaintext, or TLS from the --tls-* PEM files.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type { TlsFiles } from "./connection.ts";
import { CliError } from "./errors.ts";

/**
 * Builds grpc-js credentials, reading the PEM files once.
 *
 * @param tls the files, or undefined for plaintext
 * @returns the credentials for the client's channel
 * @throws {CliError} when a file cannot be read
 */
export async function channelCredentials(
  tls: TlsFiles | undefined,
): Promise<grpc.ChannelCredentials> {
  if (tls === undefined) return grpc.credentials.createInsecure();
  const ca = await readPem("tls-ca-file", tls.caFile);
  if (tls.certFile === "") return grpc.credentials.createSsl(ca);
  const key = await readPem("tls-key-file", tls.keyFile);
  const cert = await readPem("tls-cert-file", tls.certFile);
  return grpc.credentials.createSsl(ca, key, cert);
}

async function readPem(flag: string, path: string): Promise<Buffer> {
  try {
    return Buffer.from(await Deno.readFile(path));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`cannot read --${flag} ${path}: ${reason}`);
  }
}
