/**
 * How the server's Deno runtime is configured: permissions, V8 and unstable
 * flags, shared by the start and compile tasks.
 *
 * @module
 */
export * from "./runtime_flags.ts";
export * from "./cgroup_memory.ts";
export * from "./memory_plan.ts";
