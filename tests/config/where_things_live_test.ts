/**
 * docs/development.md's "Where things live" table stays true: each file it names exists and
 * exports the symbol it names.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

Deno.test("the where-things-live table names files that export its symbols", async () => {
  const doc = await Deno.readTextFile(new URL("docs/development.md", ROOT));
  const section =
    doc.split("### Where things live")[1]?.split("\n## ")[0]?.split("\nConventions:")[0] ??
      "";
  const rows = section.split("\n").filter((line) =>
    line.startsWith("| ") && line.includes("`src/")
  );
  assert.ok(rows.length >= 10, `table rows: ${rows.length}`);
  for (const row of rows) {
    const [, file, symbol] = row.split("|").slice(1, 4).map((cell) =>
      cell.trim().replaceAll("`", "")
    );
    const text = await Deno.readTextFile(new URL(file!, ROOT));
    const exported = new RegExp(
      `^export (?:async )?(?:function|const|class|interface|type) ${symbol}\\b`,
      "m",
    );
    assert.match(text, exported, `${file} exports ${symbol}`);
  }
});
