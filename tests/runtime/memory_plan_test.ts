import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../../src/config/mod.ts";
import {
  CGROUP_MEMORY_LIMIT_FILES,
  memoryPlanLogFields,
  planServerMemory,
  readCgroupMemoryLimit,
  runtimeFlags,
  scopeFromConfig,
} from "../../src/runtime/mod.ts";

Deno.test("readCgroupMemoryLimit() takes the first readable file and reads max as no limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const v2 = `${dir}/memory.max`;
    const v1 = `${dir}/memory.limit_in_bytes`;
    await Deno.writeTextFile(v1, "536870912\n");
    assert.deepEqual(readCgroupMemoryLimit([v2, v1]), { bytes: 536870912, file: v1 });
    await Deno.writeTextFile(v2, "max\n");
    assert.equal(readCgroupMemoryLimit([v2, v1]), null, "v2 says no limit");
    assert.equal(readCgroupMemoryLimit([`${dir}/absent`]), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planServerMemory() sizes from the cgroup limit and says so in its log fields", () => {
  const plan = planServerMemory(DEFAULT_CONFIG, { bytes: 512 * 1048576, file: "/sys/x" });
  const fields = memoryPlanLogFields(plan);
  const get = (key: string) => fields[fields.indexOf(key) + 1];
  assert.equal(get("limit"), "512.0MiB");
  assert.equal(get("limitSource"), "/sys/x");
  assert.equal(get("sizedFromLimit"), "watch-history-bytes,watch-queue-bytes");
  const assumed = memoryPlanLogFields(planServerMemory(DEFAULT_CONFIG, null));
  assert.match(String(assumed[assumed.indexOf("limitSource") + 1]), /^assumed/);
});

Deno.test("runtimeFlags() lets the server read the cgroup memory limit files, nothing else of /sys", () => {
  const flags = runtimeFlags(scopeFromConfig(DEFAULT_CONFIG), { embedded: true });
  const read = flags.find((f) => f.startsWith("--allow-read="))!.slice(13).split(",");
  for (const file of CGROUP_MEMORY_LIMIT_FILES) assert.ok(read.includes(file), file);
  assert.deepEqual(read.filter((p) => p.startsWith("/sys")), [...CGROUP_MEMORY_LIMIT_FILES]);
});
