/**
 * `deno task compile`: builds `dist/device-api-server`, one self-contained
 * binary with the production permission set (src/runtime) baked in and
 * every runtime file (the protos) embedded.
 *
 * `deno compile` needs the `denort` runtime; where it cannot be downloaded,
 * point `DENORT_BIN` at a denort binary of the same Deno version. Extra
 * arguments are passed to `deno compile` (e.g. `--target
 * aarch64-unknown-linux-gnu --output dist/device-api-server-arm64`).
 *
 * @module
 */
import { PRODUCTION_SCOPE, runtimeFlags } from "../src/runtime/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * Files embedded next to the code. The protos are also text imports of
 * src/api/proto_root.ts (so they are in the module graph and need no read
 * permission); including the folder keeps them browsable under import.meta.
 */
export const EMBEDDED = ["proto/"];

/** Import-map entries that only tests use; the binary leaves them out. */
export const TEST_ONLY_IMPORTS = ["kubernetes-models"];

/**
 * Package folders left out of the binary: every npm package that runtime
 * code cannot reach (test-only packages and their dependencies, found
 * through deno.lock), and bintrees' test data (pulled in by prom-client),
 * which makes `deno compile` 2.9.6 overflow its stack.
 */
export function excludedPaths(root = ROOT): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${root}deno.json`));
  const lock = JSON.parse(Deno.readTextFileSync(`${root}deno.lock`));
  const packages: Record<string, { dependencies?: string[] }> = lock.npm;
  // A dependency is "name" or "name@version"; keys may carry a "_peer" suffix.
  const nameOf = (key: string) => key.slice(0, key.lastIndexOf("@"));
  const keyOf = (dep: string): string | undefined =>
    Object.keys(packages).find((k) => {
      const base = k.split("_")[0]!;
      return base === dep || nameOf(base) === dep;
    });
  const reachable = new Set<string>();
  const visit = (key: string | undefined) => {
    if (!key || reachable.has(key)) return;
    reachable.add(key);
    for (const dep of packages[key]?.dependencies ?? []) visit(keyOf(dep));
  };
  for (const [name, spec] of Object.entries(config.imports as Record<string, string>)) {
    if (TEST_ONLY_IMPORTS.includes(name) || !spec.startsWith("npm:")) continue;
    visit(keyOf(spec.slice(4)));
  }
  // Folder names are the lock keys with "/" as "+", plus peer-dependency suffixes.
  const folders = new Set([...reachable].map((k) => k.replaceAll("/", "+").split("_")[0]!));
  const excluded: string[] = [];
  for (const entry of Deno.readDirSync(`${root}node_modules/.deno`)) {
    // node_modules/.deno/node_modules is Deno's hoisting folder, not a package.
    if (!entry.isDirectory || entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const base = entry.name.split("_")[0]!;
    if (!folders.has(base)) excluded.push(`node_modules/.deno/${entry.name}`);
    else if (base.startsWith("bintrees@")) {
      excluded.push(`node_modules/.deno/${entry.name}/node_modules/bintrees/test`);
    }
  }
  return excluded.sort();
}

/**
 * The full `deno compile` argument list. Type checking is a step of its own
 * ({@linkcode CHECK_COMMAND}): `deno compile` applies the baked-in V8 flags
 * (the server's small heap) to itself too, and type checking the whole
 * module graph does not fit in that heap.
 */
export function compileCommand(extra: string[] = []): string[] {
  const output = extra.includes("--output") ? [] : ["--output", "dist/device-api-server"];
  return [
    "compile",
    ...runtimeFlags(PRODUCTION_SCOPE, { embedded: true }),
    "--no-check",
    ...EMBEDDED.flatMap((path) => ["--include", path]),
    ...excludedPaths().flatMap((path) => ["--exclude", path]),
    ...output,
    ...extra,
    "src/main.ts",
  ];
}

/** Type checks what the binary runs, with Deno's default heap. */
export const CHECK_COMMAND: readonly string[] = ["check", "src/main.ts"];

if (import.meta.main) {
  for (const args of [[...CHECK_COMMAND], compileCommand(Deno.args)]) {
    console.error(`deno ${args.join(" ")}`);
    const status = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT }).spawn().status;
    if (!status.success) Deno.exit(status.code);
  }
}
