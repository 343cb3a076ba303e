/**
 * The container's memory limit, where the cgroup makes it visible: the byte
 * bounds of the watch history and queues are sized from it. The files are
 * in the server's read permission (see runtime_flags.ts).
 *
 * @module
 */
import { parseCgroupMemoryLimit } from "../cache/memory_budget.ts";

/** Where the limit is read, in order: cgroup v2, then cgroup v1. */
export const CGROUP_MEMORY_LIMIT_FILES: readonly string[] = [
  "/sys/fs/cgroup/memory.max",
  "/sys/fs/cgroup/memory/memory.limit_in_bytes",
];

/** The visible cgroup memory limit in bytes and the file it came from, or null for none. */
export function readCgroupMemoryLimit(
  files: readonly string[] = CGROUP_MEMORY_LIMIT_FILES,
): { bytes: number; file: string } | null {
  for (const file of files) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch {
      continue; // absent (the other cgroup version) or not readable: no limit seen here
    }
    const bytes = parseCgroupMemoryLimit(text);
    return bytes === null ? null : { bytes, file };
  }
  return null;
}
