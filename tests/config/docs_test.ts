import assert from "node:assert/strict";
import { FLAGS, flagsMarkdown } from "../../src/config/mod.ts";

const DOC = new URL("../../docs/configuration.md", import.meta.url);

/** Table rows as trimmed cells, so `deno fmt` padding does not matter. */
function tableRows(markdown: string): string[] {
  return markdown.split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[-| :]+\|$/.test(line))
    .map((line) => line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()).join(" | "));
}

Deno.test("docs/configuration.md mentions every flag, variable and default", async () => {
  const doc = await Deno.readTextFile(DOC);
  for (const flag of FLAGS) {
    assert.ok(doc.includes(`\`--${flag.name}\``), `--${flag.name} missing`);
    assert.ok(doc.includes(`\`${flag.env}\``), `${flag.env} missing`);
    if (flag.default !== "") assert.ok(doc.includes(`\`${flag.default}\``), flag.default);
  }
});

Deno.test("docs/configuration.md embeds the table flagsMarkdown() generates", async () => {
  const docRows = new Set(tableRows(await Deno.readTextFile(DOC)));
  for (const row of tableRows(flagsMarkdown())) {
    assert.ok(docRows.has(row), `docs/configuration.md is out of date; missing row:\n${row}`);
  }
});

Deno.test("README.md embeds the table flagsMarkdown() generates", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const docRows = new Set(tableRows(readme));
  for (const row of tableRows(flagsMarkdown())) {
    assert.ok(docRows.has(row), `README.md's flag table is out of date; missing row:\n${row}`);
  }
});
