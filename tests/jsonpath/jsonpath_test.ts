import assert from "node:assert/strict";
import { JsonPath } from "../../src/jsonpath/mod.ts";

const LIST = {
  metadata: { resourceVersion: "9" },
  items: [
    {
      metadata: { name: "gpu-0", labels: { "nvidia.com/zone": "a" }, generation: "1" },
      status: { conditions: [{ type: "NVMLReady", status: "True" }], ready: true },
    },
    {
      metadata: { name: "gpu-1", labels: {}, generation: "2" },
      status: {
        conditions: [{ type: "NVMLReady", status: "True" }, { type: "Mem", status: "False" }],
        ready: false,
      },
    },
  ],
};

function render(template: string, data: unknown = LIST): string {
  return new JsonPath(template).render(data);
}

Deno.test("JsonPath.render() selects fields, wildcards, indexes and slices", () => {
  assert.equal(render("{.metadata.resourceVersion}"), "9");
  assert.equal(render("{$.metadata.resourceVersion}"), "9");
  assert.equal(render("{.items[*].metadata.name}"), "gpu-0 gpu-1");
  assert.equal(render("{.items[0].metadata.name}"), "gpu-0");
  assert.equal(render("{.items[-1].metadata.name}"), "gpu-1");
  assert.equal(render("{.items[0:1].metadata.name}"), "gpu-0");
  assert.equal(render("{.items[1:].metadata.name}"), "gpu-1");
  assert.equal(render("{.items[:-1].metadata.name}"), "gpu-0");
  assert.equal(render("{.items[0].metadata.labels['nvidia.com/zone']}"), "a");
  assert.equal(render('{.items[0].metadata.labels["nvidia.com/zone"]}'), "a");
  assert.equal(render("{.items[0].metadata.*}"), 'gpu-0 {"nvidia.com/zone":"a"} 1');
});

Deno.test("JsonPath.render() finds fields at any depth with ..", () => {
  assert.equal(render("{..type}"), "NVMLReady NVMLReady Mem");
  assert.equal(
    render("{.items[1]..status}"),
    '{"conditions":[{"type":"NVMLReady","status":"True"},{"type":"Mem","status":"False"}],"ready":false} True False',
  );
});

Deno.test("JsonPath.render() filters by comparison or by presence", () => {
  assert.equal(render('{.items[?(@.metadata.name=="gpu-1")].metadata.generation}'), "2");
  assert.equal(render("{.items[?(@.metadata.generation==2)].metadata.name}"), "gpu-1");
  assert.equal(render('{.items[*].status.conditions[?(@.status!="True")].type}'), "Mem");
  assert.equal(render("{.items[?(@.status.ready)].metadata.name}"), "gpu-0");
  assert.equal(render("{.items[?(@.status.ready==false)].metadata.name}"), "gpu-1");
});

Deno.test("JsonPath.render() ranges over items with literals between", () => {
  assert.equal(
    render('{range .items[*]}{.metadata.name}{"\\t"}{.status.conditions[*].status}{"\\n"}{end}'),
    "gpu-0\tTrue\ngpu-1\tTrue False\n",
  );
  assert.equal(render("{range .items}[{.metadata.name}]{end}"), "[gpu-0][gpu-1]");
  assert.equal(render("{range .items[*]}{$.metadata.resourceVersion}{end}"), "99");
  assert.equal(render("names: {.items[*].metadata.name}!"), "names: gpu-0 gpu-1!");
});

Deno.test("JsonPath.render() prints nothing for missing values and JSON for objects", () => {
  assert.equal(render("{.nope}"), "");
  assert.equal(render("{.items[5].metadata}"), "");
  assert.equal(render("{.items[0].status.conditions[0]}"), '{"type":"NVMLReady","status":"True"}');
  assert.equal(render("{.x}", { x: null }), "");
  assert.equal(render("{.x}", { x: 3 }), "3");
});

Deno.test("JsonPath.values() returns the selected values for a column", () => {
  assert.deepEqual(new JsonPath("{.items[*].status.ready}").values(LIST), [true, false]);
});

Deno.test("new JsonPath() names the position of a syntax error", () => {
  const cases: [string, string][] = [
    ["{.items[0}", 'expected "]" at offset 9, found "}"'],
    ["{.a", 'expected "}" at offset 3, found the end'],
    ["{range .items}x", "{range} without {end} at offset 15, found the end"],
    ["{end}", "{end} without {range} at offset 5, found the end"],
    ['{"abc}', "unterminated string at offset 6, found the end"],
    ["{.a[?(@.b==)]}", 'expected a quoted string, a number, true or false at offset 11, found ")"'],
    ["{.a[x]}", 'expected an index, a slice, * or a name at offset 4, found "x"'],
  ];
  for (const [template, message] of cases) {
    assert.throws(
      () => new JsonPath(template),
      (err: Error) =>
        err instanceof SyntaxError && err.message === `Cannot parse JSONPath template: ${message}`,
      template,
    );
  }
});

Deno.test("JsonPath handles a long template and deep data without recursion in the parser", () => {
  const template = "{.a}".repeat(50_000);
  assert.equal(new JsonPath(template).render({ a: "x" }), "x".repeat(50_000));
  let deep: unknown = "leaf";
  for (let i = 0; i < 1000; i++) deep = { n: deep };
  assert.equal(new JsonPath(`{${".n".repeat(1000)}}`).render(deep), "leaf");
  assert.equal(new JsonPath("{..n}").values(deep).length, 1000);
});
