/**
 * Typed TypeScript client of the Device API.
 *
 * @module
 */
export { callUnary } from "./_unary.ts";
export * from "./client.ts";
export * from "./provider_client.ts";
export * from "./endpoint.ts";
export * from "./retry.ts";
export * from "./resumable.ts";
