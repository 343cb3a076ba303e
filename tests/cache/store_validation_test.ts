import assert from "node:assert/strict";
import type { Condition, DeepPartial, Gpu } from "../../src/api/mod.ts";
import { type GpuStore, InvalidArgumentError, NotFoundError } from "../../src/cache/mod.ts";
import { cond, CTX, gpuInput, newStore, rejectsField } from "./_helpers.ts";

// Each case: an input that CreateGpu must reject with INVALID_ARGUMENT naming `field`.
const CREATE_CASES: [string, DeepPartial<Gpu>, string][] = [
  ["a missing name", { metadata: {}, spec: { uuid: "u" } }, "gpu.metadata.name"],
  ["an empty name", gpuInput(""), "gpu.metadata.name"],
  ["a name of 254 characters", gpuInput("a".repeat(254)), "gpu.metadata.name"],
  ["a name with '/'", gpuInput("gpu/0"), "gpu.metadata.name"],
  ["a name with a space", gpuInput("gpu 0"), "gpu.metadata.name"],
  ["a name with a non-ASCII letter", gpuInput("gpü"), "gpu.metadata.name"],
  ["a name starting with '-'", gpuInput("-gpu"), "gpu.metadata.name"],
  ["a name starting with '.'", gpuInput(".gpu"), "gpu.metadata.name"],
  ["a name ending with '-'", gpuInput("gpu-"), "gpu.metadata.name"],
  ["a name ending with '_'", gpuInput("gpu_"), "gpu.metadata.name"],
  ["an upper-case namespace", gpuInput("g", { namespace: "Kube" }), "gpu.metadata.namespace"],
  ["a namespace with '_'", gpuInput("g", { namespace: "a_b" }), "gpu.metadata.namespace"],
  ["a namespace ending with '-'", gpuInput("g", { namespace: "ns-" }), "gpu.metadata.namespace"],
  [
    "a namespace of 64 characters",
    gpuInput("g", { namespace: "n".repeat(64) }),
    "gpu.metadata.namespace",
  ],
  ["a missing spec", { metadata: { name: "g" } }, "gpu.spec.uuid"],
  ["an empty uuid", gpuInput("g", { uuid: "" }), "gpu.spec.uuid"],
  ["a uuid starting with '-'", gpuInput("g", { uuid: "-GPU" }), "gpu.spec.uuid"],
  ["a uuid with a space", gpuInput("g", { uuid: "GPU 1" }), "gpu.spec.uuid"],
  ["a uuid of 129 characters", gpuInput("g", { uuid: "u".repeat(129) }), "gpu.spec.uuid"],
  [
    "a condition type starting with a digit",
    gpuInput("g", { conditions: [cond("1Ready", "True")] }),
    "gpu.status.conditions[0].type",
  ],
  [
    "an empty condition type",
    gpuInput("g", { conditions: [cond("", "True")] }),
    "gpu.status.conditions[0].type",
  ],
  [
    "a condition type with a space",
    gpuInput("g", { conditions: [cond("Ready", "True"), cond("Re ady", "True")] }),
    "gpu.status.conditions[1].type",
  ],
  [
    "a lower-case condition status",
    gpuInput("g", { conditions: [cond("Ready", "true")] }),
    "gpu.status.conditions[0].status",
  ],
  [
    "a missing condition status",
    gpuInput("g", { conditions: [{ type: "Ready" }] }),
    "gpu.status.conditions[0].status",
  ],
  [
    "a reason with a space",
    gpuInput("g", { conditions: [cond("Ready", "True", { reason: "Two words" })] }),
    "gpu.status.conditions[0].reason",
  ],
  [
    "a reason starting with a digit",
    gpuInput("g", { conditions: [cond("Ready", "True", { reason: "1Bad" })] }),
    "gpu.status.conditions[0].reason",
  ],
  [
    "a reason ending with '-'",
    gpuInput("g", { conditions: [cond("Ready", "True", { reason: "Bad-" })] }),
    "gpu.status.conditions[0].reason",
  ],
  [
    "duplicate condition types",
    gpuInput("g", { conditions: [cond("Ready", "True"), cond("Ready", "False")] }),
    "gpu.status.conditions[1].type",
  ],
  [
    "a label key with a space",
    gpuInput("g", { labels: { "bad key": "v" } }),
    'gpu.metadata.labels["bad key"]',
  ],
  [
    "a label key starting with '-'",
    gpuInput("g", { labels: { "-a": "v" } }),
    'gpu.metadata.labels["-a"]',
  ],
  [
    "a label key with an upper-case prefix",
    gpuInput("g", { labels: { "Example.com/a": "v" } }),
    'gpu.metadata.labels["Example.com/a"]',
  ],
  [
    "a label key with two slashes",
    gpuInput("g", { labels: { "a/b/c": "v" } }),
    'gpu.metadata.labels["a/b/c"]',
  ],
  [
    "a label key name of 64 characters",
    gpuInput("g", { labels: { ["k".repeat(64)]: "v" } }),
    `gpu.metadata.labels["${"k".repeat(64)}"]`,
  ],
  [
    "a label value with a space",
    gpuInput("g", { labels: { zone: "a b" } }),
    'gpu.metadata.labels["zone"]',
  ],
  [
    "a label value ending with '.'",
    gpuInput("g", { labels: { zone: "a." } }),
    'gpu.metadata.labels["zone"]',
  ],
  [
    "a label value of 64 characters",
    gpuInput("g", { labels: { zone: "v".repeat(64) } }),
    'gpu.metadata.labels["zone"]',
  ],
  [
    "an annotation key with a space",
    gpuInput("g", { annotations: { "bad key": "free text is fine" } }),
    'gpu.metadata.annotations["bad key"]',
  ],
  [
    "a transition time after year 9999",
    gpuInput("g", {
      conditions: [cond("Ready", "True", { lastTransitionTime: { seconds: 253_402_300_800 } })],
    }),
    "gpu.status.conditions[0].last_transition_time",
  ],
  [
    "a transition time before year 1",
    gpuInput("g", {
      conditions: [cond("Ready", "True", { lastTransitionTime: { seconds: -62_135_596_801 } })],
    }),
    "gpu.status.conditions[0].last_transition_time",
  ],
  [
    "negative nanos",
    gpuInput("g", {
      conditions: [cond("Ready", "True", { lastTransitionTime: { seconds: 1, nanos: -1 } })],
    }),
    "gpu.status.conditions[0].last_transition_time",
  ],
  [
    "nanos of a whole second",
    gpuInput("g", {
      conditions: [cond("Ready", "True", { lastTransitionTime: { nanos: 1_000_000_000 } })],
    }),
    "gpu.status.conditions[0].last_transition_time",
  ],
];

for (const [what, input, field] of CREATE_CASES) {
  Deno.test(`GpuStore.create() rejects ${what} with INVALID_ARGUMENT naming ${field}`, async () => {
    const store = newStore();
    await rejectsField(store.create(input, CTX), field);
    assert.equal(store.size, 0);
    assert.equal(store.resourceVersion, 100, "a rejected write takes no version");
  });
}

Deno.test("GpuStore.create() accepts the boundary values of names, labels and timestamps", async () => {
  const store = newStore();
  const conditions: DeepPartial<Condition>[] = [
    cond("Ready", "True", { lastTransitionTime: { seconds: 253_402_300_799, nanos: 999_999_999 } }),
    cond("Healthy", "Unknown", {
      reason: "A_b,c:D",
      lastTransitionTime: { seconds: -62_135_596_800 },
    }),
  ];
  const input = gpuInput("a".repeat(253), {
    namespace: "n".repeat(63),
    uuid: "GPU-a.b_c:d/e-" + "u".repeat(114),
    labels: { ["example.com/" + "k".repeat(63)]: "v".repeat(63), empty: "" },
    annotations: { "note.example.com/x": "any text, even spaces" },
    conditions,
  });
  const { created } = await store.create(input, CTX);
  assert.equal(created, true);
  const { created: again } = await store.create(gpuInput("a_b.c-1", { uuid: "x" }), CTX);
  assert.equal(again, true);
});

Deno.test("GpuStore.create() rejects more conditions than limits.maxConditions", async () => {
  const store = newStore({ limits: { maxConditions: 2 } });
  const three = [cond("A", "True"), cond("B", "True"), cond("C", "True")];
  await rejectsField(
    store.create(gpuInput("g", { conditions: three }), CTX),
    "gpu.status.conditions",
  );
  const two = three.slice(0, 2);
  assert.equal((await store.create(gpuInput("g", { conditions: two }), CTX)).created, true);
  await rejectsField(
    store.updateStatus({ name: "g", status: { conditions: three } }, CTX),
    "status.conditions",
  );
  await rejectsField(store.setConditions({ name: "g", set: [three[2]!], remove: [] }, CTX), "set");
});

Deno.test("GpuStore.create() rejects an object over limits.maxObjectBytes naming gpu", async () => {
  const store = newStore({ limits: { maxObjectBytes: 200 } });
  const big = gpuInput("g", { conditions: [cond("Ready", "True", { message: "m".repeat(300) })] });
  await rejectsField(store.create(big, CTX), "gpu");
  assert.equal(store.size, 0);
  assert.equal(store.resourceVersion, 100, "the rejected write takes no version");
  await store.create(gpuInput("g"), CTX);
  await rejectsField(
    store.updateStatus({
      name: "g",
      status: { conditions: [cond("Ready", "True", { message: "m".repeat(300) })] },
    }, CTX),
    "gpu",
  );
  assert.equal(store.resourceVersion, 101);
});

const BAD_VERSIONS = [
  "abc",
  "-1",
  "1.5",
  " 1",
  "1 ",
  "1e3",
  "0x1f",
  "+1",
  "12345678901234567",
  "9999999999999999",
];

for (const version of BAD_VERSIONS) {
  Deno.test(`GpuStore.update() rejects metadata.resource_version ${JSON.stringify(version)}`, async () => {
    const store = newStore();
    await store.create(gpuInput("g"), CTX);
    const input = gpuInput("g", { productName: "changed" });
    input.metadata!.resourceVersion = version;
    await rejectsField(store.update(input, CTX), "gpu.metadata.resource_version");
  });
}

Deno.test("GpuStore methods reject malformed names, namespaces, versions and patches by field", async () => {
  const store = newStore();
  await store.create(gpuInput("g"), CTX);
  const cases: [() => Promise<unknown>, string][] = [
    [() => store.get("", "bad/name"), "name"],
    [() => store.get("Bad", "g"), "namespace"],
    [() => store.getEncoded("", "-g"), "name"],
    [() => store.delete("", "g-", CTX), "name"],
    [() => store.delete("a_b", "g", CTX), "namespace"],
    [
      () => store.update({ metadata: { namespace: "" }, spec: { uuid: "u" } }, CTX),
      "gpu.metadata.name",
    ],
    [() => store.update({ ...gpuInput("g"), resourceVersion: -1 }, CTX), "gpu.resource_version"],
    [() => store.updateStatus({ name: "", status: {} }, CTX), "name"],
    [() => store.updateStatus({ name: "g", namespace: "NS", status: {} }, CTX), "namespace"],
    [
      () => store.updateStatus({ name: "g", status: {}, resourceVersion: -5 }, CTX),
      "resource_version",
    ],
    [
      () => store.updateStatus({ name: "g", status: {}, resourceVersion: 1.5 }, CTX),
      "resource_version",
    ],
    [
      () => store.updateStatus({ name: "g", status: { conditions: [cond("ok", "Yes")] } }, CTX),
      "status.conditions[0].status",
    ],
    [
      () => store.setConditions({ name: "g", set: [cond("9", "True")], remove: [] }, CTX),
      "set[0].type",
    ],
    [
      () =>
        store.setConditions(
          { name: "g", set: [cond("A", "True"), cond("A", "False")], remove: [] },
          CTX,
        ),
      "set",
    ],
    [
      () => store.setConditions({ name: "g", set: [cond("A", "True")], remove: ["B", "A"] }, CTX),
      "remove[1]",
    ],
    [
      () => store.setConditions({ name: "g", set: [], remove: [], resourceVersion: -1 }, CTX),
      "resource_version",
    ],
    [() => store.list({ namespace: "Not_A_Label" }), "opts.namespace"],
    [() => store.listEncoded({ labelSelector: "a in (" }), "opts.label_selector"],
  ];
  for (const [call, field] of cases) await rejectsField(call(), field);
  assert.equal(store.resourceVersion, 101, "no rejected write took a version");
});

Deno.test("GpuStore validates a name before looking it up (never NOT_FOUND for a bad name)", async () => {
  const store: GpuStore = newStore();
  await assert.rejects(store.get("", "missing"), NotFoundError);
  await assert.rejects(store.get("", "missing!"), InvalidArgumentError);
  await assert.rejects(store.delete("", "missing", CTX), NotFoundError);
  await assert.rejects(store.delete("", "missing!", CTX), InvalidArgumentError);
  await assert.rejects(
    store.updateStatus({ name: "missing!", status: {} }, CTX),
    InvalidArgumentError,
  );
});
