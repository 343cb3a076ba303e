/**
 * Provider identity carried in gRPC metadata.
 *
 * @module
 */
import type { Metadata } from "@grpc/grpc-js";
import { InvalidArgumentError } from "../cache/mod.ts";

/** Metadata key a provider names itself with on every write. */
export const PROVIDER_METADATA_KEY = "x-device-api-provider";

const PROVIDER_RE = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

/**
 * Reads the calling provider's name; "" for an anonymous writer.
 *
 * @throws {InvalidArgumentError} when the name is malformed
 */
export function providerOf(metadata: Metadata): string {
  const values = metadata.get(PROVIDER_METADATA_KEY);
  if (values.length === 0) return "";
  const name = String(values[0]);
  if (values.length > 1 || !PROVIDER_RE.test(name)) {
    throw new InvalidArgumentError(
      `metadata ${PROVIDER_METADATA_KEY}`,
      "provider name must be one value of 1 to 63 lower-case letters, digits, '.', '_' or '-', " +
        "starting and ending alphanumeric",
    );
  }
  return name;
}
