import assert from "node:assert/strict";
import { anchorOf, anchorsOf, linksOf } from "./_links.ts";

Deno.test("linksOf() finds inline links, images and references outside code", () => {
  const md = [
    'See [ops](docs/operations.md#install) and ![logo](img/logo.png "Logo").',
    "`[not](a-link.md)` and [web](https://example.com).",
    "```sh",
    "[inside](fence.md)",
    "```",
    "[ref]: ../README.md",
  ].join("\n");
  assert.deepEqual(linksOf(md), [
    { target: "docs/operations.md#install", line: 1 },
    { target: "img/logo.png", line: 1 },
    { target: "https://example.com", line: 2 },
    { target: "../README.md", line: 6 },
  ]);
});

Deno.test("anchorOf() follows GitHub's heading anchors", () => {
  assert.equal(
    anchorOf("RBAC and PodDisruptionBudget are off by default"),
    "rbac-and-poddisruptionbudget-are-off-by-default",
  );
  assert.equal(anchorOf("Consumers: mounting the socket"), "consumers-mounting-the-socket");
  assert.equal(anchorOf("`deno task` and the `--v` flag"), "deno-task-and-the---v-flag");
  assert.equal(
    anchorOf("Runtime requirements of the binary"),
    "runtime-requirements-of-the-binary",
  );
});

Deno.test("anchorsOf() numbers repeated headings and skips fenced code", () => {
  const anchors = anchorsOf("# A\n## Meaning\n```\n# not\n```\n## Meaning\n");
  assert.deepEqual([...anchors], ["a", "meaning", "meaning-1"]);
});
