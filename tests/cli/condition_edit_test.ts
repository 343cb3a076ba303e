import assert from "node:assert/strict";
import { Metadata, status } from "@grpc/grpc-js";
import type { Condition, DeepPartial, Gpu, GpuStatus } from "../../src/api/mod.ts";
import {
  editConditions,
  MAX_ATTEMPTS,
  type StatusClient,
  withCondition,
  withoutCondition,
} from "../../src/cli/condition_edit.ts";
import { CliError } from "../../src/cli/errors.ts";
import { condition, sampleGpu } from "./_helpers.ts";

const T0 = { seconds: 1714564800, nanos: 0 };

Deno.test("withCondition() replaces the condition in place and keeps the others as read", () => {
  const other = condition("NVMLReady", "True", { owner: "nvml", lastTransitionTime: T0 });
  const old = condition("Maintenance", "True", { owner: "ops", lastTransitionTime: T0 });
  const last = condition("Zeta", "Unknown");
  const next = withCondition([other, old, last], {
    type: "Maintenance",
    status: "False",
    reason: "Drained",
    message: "RMA",
  }, 4);
  assert.deepEqual(next, [
    other,
    {
      type: "Maintenance",
      status: "False",
      reason: "Drained",
      message: "RMA",
      lastTransitionTime: null,
      observedGeneration: 4,
      owner: "",
    },
    last,
  ]);
});

Deno.test("withCondition() keeps the transition time when only the reason changes", () => {
  const old = condition("Maintenance", "False", { reason: "A", lastTransitionTime: T0 });
  const next = withCondition([old], {
    type: "Maintenance",
    status: "False",
    reason: "B",
    message: "",
  }, 1);
  assert.deepEqual(next?.[0]?.lastTransitionTime, T0);
});

Deno.test("withCondition() appends a new type and returns undefined when nothing changes", () => {
  const a = condition("A", "True", { reason: "R", message: "M" });
  assert.deepEqual(
    withCondition([a], { type: "B", status: "Unknown", reason: "", message: "" }, 0)?.map((c) =>
      c.type
    ),
    ["A", "B"],
  );
  assert.equal(
    withCondition([a], { type: "A", status: "True", reason: "R", message: "M" }, 0),
    undefined,
  );
});

Deno.test("withoutCondition() removes one type, or returns undefined when it is absent", () => {
  const a = condition("A", "True");
  const b = condition("B", "False");
  assert.deepEqual(withoutCondition([a, b], "A"), [b]);
  assert.equal(withoutCondition([a, b], "C"), undefined);
});

function rpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

// A server holding one GPU; `conflicts` writes fail with ABORTED after another writer's change.
class FakeServer implements StatusClient {
  gpu: Gpu;
  conflicts: number;
  writes: { status: DeepPartial<GpuStatus>; resourceVersion: number; namespace: string }[] = [];
  constructor(gpu: Gpu, conflicts = 0) {
    this.gpu = gpu;
    this.conflicts = conflicts;
  }
  get(name: string, namespace = ""): Promise<Gpu> {
    if (name !== this.gpu.metadata.name || namespace !== this.gpu.metadata.namespace) {
      return Promise.reject(rpcError(status.NOT_FOUND, "nope"));
    }
    return Promise.resolve(structuredClone(this.gpu));
  }
  updateStatus(
    _name: string,
    s: DeepPartial<GpuStatus>,
    resourceVersion = 0,
    namespace = "",
  ): Promise<Gpu> {
    this.writes.push({ status: s, resourceVersion, namespace });
    if (resourceVersion !== this.gpu.resourceVersion) {
      return Promise.reject(rpcError(status.ABORTED, "conflict"));
    }
    if (this.conflicts > 0) {
      this.conflicts--;
      // Another provider writes first: a new condition and a new version.
      this.bump([...this.gpu.status.conditions, condition(`Other${this.conflicts}`, "True")]);
      return Promise.reject(rpcError(status.ABORTED, "conflict"));
    }
    this.bump(s.conditions as Condition[]);
    return Promise.resolve(structuredClone(this.gpu));
  }
  bump(conditions: Condition[]): void {
    const version = this.gpu.resourceVersion + 1;
    this.gpu = {
      ...this.gpu,
      status: { ...this.gpu.status, conditions },
      resourceVersion: version,
      metadata: { ...this.gpu.metadata, resourceVersion: String(version) },
    };
  }
}

const GPU_0 = { gpu: "gpu-0", namespace: "default" };

const setMaintenance = (conditions: readonly Condition[]) =>
  withCondition(conditions, { type: "Maintenance", status: "False", reason: "", message: "" }, 1);

Deno.test("editConditions() writes on the version it read", async () => {
  const server = new FakeServer(sampleGpu("gpu-0", [condition("NVMLReady", "True")]));
  const { changed, gpu } = await editConditions(server, GPU_0, setMaintenance);
  assert.equal(changed, true);
  assert.deepEqual(server.writes.map((w) => w.resourceVersion), [7]);
  assert.deepEqual(gpu.status.conditions.map((c) => c.type), ["NVMLReady", "Maintenance"]);
});

Deno.test("editConditions() re-reads and retries on ABORTED, keeping the other writer's change", async () => {
  const server = new FakeServer(sampleGpu("gpu-0"), 2);
  const { gpu } = await editConditions(server, GPU_0, setMaintenance);
  assert.deepEqual(server.writes.map((w) => w.resourceVersion), [7, 8, 9]);
  assert.deepEqual(gpu.status.conditions.map((c) => c.type), ["Other1", "Other0", "Maintenance"]);
});

Deno.test("editConditions() gives up after MAX_ATTEMPTS conflicts", async () => {
  const server = new FakeServer(sampleGpu("gpu-0"), 100);
  await assert.rejects(
    editConditions(server, GPU_0, setMaintenance),
    (err) =>
      err instanceof CliError &&
      err.message === `cannot write the status of gpu "gpu-0": it changed during each of ` +
          `${MAX_ATTEMPTS} attempts; try again`,
  );
  assert.equal(server.writes.length, MAX_ATTEMPTS);
});

Deno.test("editConditions() writes nothing when the edit changes nothing", async () => {
  const server = new FakeServer(sampleGpu("gpu-0"));
  const { changed } = await editConditions(server, GPU_0, () => undefined);
  assert.equal(changed, false);
  assert.equal(server.writes.length, 0);
});

Deno.test("editConditions() reports a missing GPU as not found", async () => {
  const server = new FakeServer(sampleGpu("gpu-0"));
  await assert.rejects(
    editConditions(server, { gpu: "gpu-9", namespace: "default" }, setMaintenance),
    (err) => err instanceof CliError && err.message === 'gpu "gpu-9" not found',
  );
});

Deno.test("editConditions() reads and writes the GPU in its namespace", async () => {
  const gpu = sampleGpu("gpu-0");
  gpu.metadata.namespace = "lab";
  const server = new FakeServer(gpu);
  await editConditions(server, { gpu: "gpu-0", namespace: "lab" }, setMaintenance);
  assert.deepEqual(server.writes.map((w) => w.namespace), ["lab"]);
  await assert.rejects(
    editConditions(server, GPU_0, setMaintenance),
    (err) => err instanceof CliError && err.message === 'gpu "gpu-0" not found',
  );
});
