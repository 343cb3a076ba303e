/**
 * Every relative link in the docs and READMEs points at a file of the
 * repository, and every `#fragment` at a heading of its target (GitHub's
 * anchor rules): a renamed file or heading fails here, not in a reader's
 * browser.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { anchorsOf, linksOf } from "./_links.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** Markdown files checked: docs/, every README and the changelog. */
function markdownFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(join(REPO, dir))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        if (![".git", "node_modules", ".cache", "dist", "run"].includes(entry.name)) walk(path);
      } else if (path.startsWith("docs/") ? path.endsWith(".md") : /(^|\/)README\.md$/.test(path)) {
        files.push(path);
      }
    }
  };
  walk(".");
  return [...files, "CHANGELOG.md"].map((f) => relative(".", f)).sort();
}

const files = markdownFiles();

Deno.test("markdownFiles() covers docs/, the READMEs and the changelog", () => {
  for (const f of ["README.md", "docs/operations.md", "charts/device-api-server/README.md"]) {
    assert.ok(files.includes(f), f);
  }
  assert.ok(files.includes("CHANGELOG.md"));
});

Deno.test("every relative link of the docs and READMEs reaches a file and heading", () => {
  const problems: string[] = [];
  for (const file of files) {
    const text = Deno.readTextFileSync(join(REPO, file));
    for (const { target, line } of linksOf(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      const [path, fragment] = target.split("#", 2) as [string, string | undefined];
      const resolved = path === "" ? file : join(dirname(file), decodeURIComponent(path));
      let stat: Deno.FileInfo;
      try {
        stat = Deno.statSync(join(REPO, resolved));
      } catch {
        problems.push(`${file}:${line}: ${target} (no ${resolved})`);
        continue;
      }
      if (fragment !== undefined && fragment !== "" && stat.isFile && resolved.endsWith(".md")) {
        const anchors = anchorsOf(Deno.readTextFileSync(join(REPO, resolved)));
        if (!anchors.has(fragment)) problems.push(`${file}:${line}: ${target} (no #${fragment})`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
