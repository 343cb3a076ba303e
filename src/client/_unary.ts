/**
 * One unary call on a generic grpc-js client, shared by the GpuService and
 * ProviderService clients.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { PROVIDER_METADATA_KEY } from "../api/mod.ts";

/** Metadata key a provider names itself with (see `docs/api.md`). */
export const PROVIDER_HEADER: string = PROVIDER_METADATA_KEY;

type UnaryFn = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: grpc.requestCallback<unknown>,
) => void;

/** Metadata carrying the provider identity, or none for an anonymous client. */
export function identityMetadata(provider: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (provider) md.set(PROVIDER_HEADER, provider);
  return md;
}

/** Calls `method` with a deadline; rejects with the grpc-js ServiceError. */
export function callUnary<T>(
  client: grpc.Client,
  method: string,
  req: unknown,
  options: { provider: string | undefined; timeoutMs: number },
): Promise<T> {
  const fn = (client as unknown as Record<string, UnaryFn>)[method]!.bind(client);
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + options.timeoutMs;
    fn(req, identityMetadata(options.provider), { deadline }, (err, res) => {
      if (err) reject(err);
      else resolve(res as T);
    });
  });
}
