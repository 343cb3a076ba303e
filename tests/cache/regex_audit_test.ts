/**
 * Audit of the regular expressions the server applies to request input
 * (issue 13): none may backtrack exponentially. Every regex literal in the
 * folders that handle requests is extracted from the source and checked for
 * a repeated group that itself contains a quantifier (`(a+)+`, `(?:x*,)*`),
 * the shape behind catastrophic backtracking; dynamic `new RegExp` is refused
 * there, since it cannot be audited this way.
 *
 * @module
 */
import assert from "node:assert/strict";
import { REPO_ROOT } from "../_helpers/server_process.ts";

// Folders whose code sees request data (names, labels, selectors, versions, headers).
const REQUEST_DIRS = ["src/cache", "src/server", "src/providers", "src/api", "src/health"];

/** Regex literals in TypeScript source: `/.../flags` where an expression may start. */
function regexLiterals(source: string): string[] {
  const found: string[] = [];
  const starts = /(?:^|[=(,:!&|?;{}[]|\breturn)\s*\//gm;
  for (let m; (m = starts.exec(source));) {
    let i = m.index + m[0].length;
    if (source[i] === "/" || source[i] === "*") continue; // a comment
    let inClass = false;
    let body = "";
    for (; i < source.length && source[i] !== "\n"; i++) {
      const ch = source[i]!;
      if (ch === "\\") {
        body += ch + (source[++i] ?? "");
        continue;
      }
      if (ch === "[") inClass = true;
      else if (ch === "]") inClass = false;
      else if (ch === "/" && !inClass) break;
      body += ch;
    }
    if (source[i] === "/") found.push(body);
  }
  return found;
}

/** Whether a pattern repeats (`*`, `+`, `{n,}`, `{n,m>1}`) a group that contains a quantifier. */
export function hasNestedQuantifier(pattern: string): boolean {
  const groups: boolean[] = []; // per open group: whether it contains a quantifier
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      continue;
    }
    if (ch === "[") {
      inClass = true;
    } else if (ch === "(") {
      groups.push(false);
    } else if (ch === ")") {
      const quantified = groups.pop() ?? false;
      const repeat = repetition(pattern, i + 1);
      if (quantified && repeat === "many") return true;
      if (groups.length > 0 && (quantified || repeat !== "none")) groups[groups.length - 1] = true;
    } else if (ch === "*" || ch === "+" || ch === "?" || ch === "{") {
      if (groups.length > 0 && repetition(pattern, i) !== "none") groups[groups.length - 1] = true;
    }
  }
  return false;
}

// What the quantifier at `i` does: nothing, an optional (`?`, `{0,1}`), or a repetition.
function repetition(pattern: string, i: number): "none" | "optional" | "many" {
  const ch = pattern[i];
  if (ch === "*" || ch === "+") return "many";
  if (ch === "?") return "optional";
  if (ch !== "{") return "none";
  const end = pattern.indexOf("}", i);
  const [min, max] = pattern.slice(i + 1, end).split(",");
  if (max === undefined) return Number(min) > 1 ? "many" : "optional";
  return max === "" || Number(max) > 1 ? "many" : "optional";
}

Deno.test("hasNestedQuantifier() flags repeated groups that contain a quantifier", () => {
  for (
    const bad of ["(a+)+", "^(?:x*,)*$", "(a|b*){2,}", "((ab)*c)+", String.raw`(\s*,\s*[a-z]*)*`]
  ) {
    assert.equal(hasNestedQuantifier(bad), true, bad);
  }
  for (
    const good of [
      "^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$",
      String.raw`^\d{1,16}$`,
      "(ab)+",
      "[(a+)+]",
      String.raw`\(a+\)+`,
      "^(a{0,3}b)?$",
    ]
  ) {
    assert.equal(hasNestedQuantifier(good), false, good);
  }
});

Deno.test("regular expressions on request input have no nested quantifiers and none is dynamic", async () => {
  let audited = 0;
  for (const dir of REQUEST_DIRS) {
    for await (const entry of Deno.readDir(`${REPO_ROOT}${dir}`)) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      const path = `${dir}/${entry.name}`;
      const source = await Deno.readTextFile(`${REPO_ROOT}${path}`);
      assert.ok(!/new RegExp\(/.test(source), `${path}: a dynamic RegExp cannot be audited`);
      for (const pattern of regexLiterals(source)) {
        audited++;
        assert.equal(hasNestedQuantifier(pattern), false, `${path}: /${pattern}/ can backtrack`);
      }
    }
  }
  assert.ok(audited >= 10, `the extractor found only ${audited} literals`);
});
