/**
 * Typed TypeScript client of the Device API.
 *
 * @module
 */
export * from "./client.ts";
