/**
 * Provider identity carried in gRPC metadata.
 *
 * @module
 */
import type { Metadata } from "@grpc/grpc-js";
import { PROVIDER_METADATA_KEY } from "../api/mod.ts";
import { InvalidArgumentError } from "../cache/mod.ts";

export { PROVIDER_METADATA_KEY };

const PROVIDER_RE = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const PROVIDER_RULE = "provider name must be one value of 1 to 63 lower-case letters, digits, " +
  "'.', '_' or '-', starting and ending alphanumeric";

/**
 * Reads the calling provider's name; "" for an anonymous writer.
 *
 * @throws {InvalidArgumentError} when the name is malformed
 */
export function providerOf(metadata: Metadata): string {
  const values = metadata.get(PROVIDER_METADATA_KEY);
  if (values.length === 0) return "";
  const field = `metadata ${PROVIDER_METADATA_KEY}`;
  if (values.length > 1) throw new InvalidArgumentError(field, PROVIDER_RULE);
  return validateProviderName(field, String(values[0]));
}

/**
 * Checks a provider name given in a request field, by the same rule as the metadata.
 *
 * @throws {InvalidArgumentError} naming `field` when the name is malformed
 */
export function validateProviderName(field: string, name: string): string {
  if (!PROVIDER_RE.test(name)) throw new InvalidArgumentError(field, PROVIDER_RULE);
  return name;
}
