/**
 * The GitHub workflows cannot run here, so their contract is checked: CI
 * runs exactly the README's test command, and a release compiles through
 * `deno task compile` (the permission set of src/runtime), checksums and
 * attaches both binaries, pushes the two-architecture distroless image and
 * the chart, and publishes nothing from an untested or mismatched tag.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { compileCommand } from "../../scripts/compile.ts";
import { PRODUCTION_SCOPE, runtimeFlags } from "../../src/runtime/mod.ts";
import { dirname } from "node:path";
import { actionlint } from "../_tools/actionlint.ts";
import { ensureHelm } from "../_tools/helm.ts";
import { ensureDebianPackages } from "../_tools/apt.ts";

const REPO = new URL("../../", import.meta.url).pathname;

// deno-lint-ignore no-explicit-any
type Json = any;
interface Step {
  id?: string;
  env?: Record<string, string>;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, Json>;
  if?: string;
}
interface Job {
  needs?: string | string[];
  "runs-on": string;
  container?: { image: string };
  permissions?: Record<string, string>;
  strategy?: { matrix: { include: Record<string, string>[] } };
  steps: Step[];
}
interface Workflow {
  on: Json;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

async function workflow(name: string): Promise<Workflow> {
  return parse(await Deno.readTextFile(`${REPO}.github/workflows/${name}`));
}

/**
 * The README's test command: the second command of the first shell block
 * under "The two commands" (the first one starts the server).
 */
function readmeTestCommand(readme: string): string {
  const section = readme.slice(readme.indexOf("## The two commands"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined, "README: no sh block under 'The two commands'");
  const commands = block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "");
  assert.equal(commands.length, 2, `README: expected two commands, found ${commands.join(" | ")}`);
  return commands[1]!;
}

/** Every job of a workflow whose steps run `command` exactly. */
function jobsRunning(wf: Workflow, command: string): string[] {
  return Object.entries(wf.jobs).filter(([, job]) =>
    job.steps.some((s) => s.run?.trim() === command)
  ).map(([name]) => name);
}

function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : [job.needs].flat();
}

const ci = await workflow("ci.yml");
const release = await workflow("release.yml");
const testCommand = readmeTestCommand(await Deno.readTextFile(`${REPO}README.md`));

Deno.test("readmeTestCommand() is the pinned Deno's test task, which deno.json defines", async () => {
  assert.equal(testCommand, `npx -y deno@${Deno.version.deno} task test`);
  const config = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`));
  assert.equal(typeof config.tasks.test, "string");
  const ciRun = await Deno.readTextFile(`${REPO}.ci/run`);
  assert.ok(
    ciRun.split("\n").map((l) => l.trim()).some((l) =>
      l.startsWith(`${testCommand} `) || l === testCommand
    ),
  );
});

Deno.test("ci.yml runs exactly the README's test command on every push and pull request", () => {
  assert.deepEqual(Object.keys(ci.on).sort(), ["pull_request", "push"]);
  assert.equal(ci.on.push, null, "no branch or path filter on push");
  assert.equal(ci.on.pull_request, null, "no branch or path filter on pull requests");
  const jobs = jobsRunning(ci, testCommand);
  assert.deepEqual(jobs, ["test"]);
  // Every other run step only prepares the machine; none runs Deno itself.
  for (const step of ci.jobs.test!.steps.filter((s) => s.run && s.run.trim() !== testCommand)) {
    assert.doesNotMatch(step.run!, /deno/, String(step.name));
  }
});

Deno.test("ci.yml tests as root on Debian 12 with Node, git and a C compiler", () => {
  const job = ci.jobs.test!;
  assert.equal(job.container?.image, "debian:12");
  const uses = job.steps.map((s) => s.uses).filter((u) => u !== undefined);
  assert.ok(uses.some((u) => u.startsWith("actions/checkout@")));
  const node = job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
  assert.ok(Number(node?.with?.["node-version"]) >= 18);
  const install = job.steps.find((s) => s.run?.includes("apt-get install"))!.run!;
  for (const pkg of ["git", "gcc", "libc6-dev", "ca-certificates"]) {
    assert.match(install, new RegExp(`\\s${pkg}(\\s|$)`), pkg);
  }
  // Installing comes before the checkout, which needs git; Node before the test.
  const index = (p: (s: Step) => boolean) => job.steps.findIndex(p);
  assert.ok(
    index((s) => s.run === install) < index((s) => !!s.uses?.startsWith("actions/checkout")),
  );
  assert.ok(index((s) => s === node) < index((s) => s.run?.trim() === testCommand));
});

Deno.test("release.yml runs on version tags only, and publishes only what was tested", () => {
  assert.deepEqual(Object.keys(release.on), ["push"]);
  assert.deepEqual(release.on.push, { tags: ["v*"] });
  assert.deepEqual(release.permissions, { contents: "read" });
  assert.deepEqual(jobsRunning(release, testCommand), ["test"]);
  assert.deepEqual(release.jobs.test!.container, ci.jobs.test!.container);
  const publishing = ["binaries", "image", "chart"];
  assert.ok(needsOf(release.jobs.image!).includes("binaries"));
  for (const name of publishing) {
    assert.ok(needsOf(release.jobs[name]!).includes("test"), `${name} needs test`);
    assert.ok(needsOf(release.jobs[name]!).includes("version"), `${name} needs version`);
  }
  assert.ok(needsOf(release.jobs["github-release"]!).includes("binaries"));
});

Deno.test("release.yml compiles both Linux targets through deno task compile", () => {
  const job = release.jobs.binaries!;
  const matrix = job.strategy!.matrix.include;
  assert.deepEqual(matrix, [
    { target: "x86_64-unknown-linux-gnu", arch: "amd64" },
    { target: "aarch64-unknown-linux-gnu", arch: "arm64" },
  ]);
  const runs = job.steps.map((s) => s.run?.trim()).filter((r) => r !== undefined);
  const pinned = `npx -y deno@${Deno.version.deno}`;
  assert.ok(runs.includes(`${pinned} install --frozen`), "locked dependencies first");
  const compile = runs.filter((r) => / compile\b/.test(r));
  assert.deepEqual(compile, [
    `${pinned} task compile --target \${{ matrix.target }} ` +
    "--output dist/device-api-server-linux-${{ matrix.arch }}",
  ]);
  // No workflow calls `deno compile` itself: the flags come from scripts/compile.ts only.
  for (const wf of [ci, release]) {
    for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
      assert.doesNotMatch(step.run ?? "", /deno(@[\d.]+)? compile\b/);
    }
  }
});

Deno.test("compileCommand() passes the release's --target and --output through with the production flags", () => {
  for (const { target, arch } of release.jobs.binaries!.strategy!.matrix.include) {
    const output = `dist/device-api-server-linux-${arch}`;
    const args = compileCommand(["--target", target!, "--output", output]);
    assert.equal(args[0], "compile");
    assert.equal(args.at(-1), "src/main.ts");
    const flags = runtimeFlags(PRODUCTION_SCOPE, { embedded: true });
    assert.deepEqual(args.slice(1, 1 + flags.length), flags);
    assert.equal(args.filter((a) => a === "--output").length, 1, "no default output as well");
    const at = args.indexOf("--target");
    assert.deepEqual(args.slice(at, at + 4), ["--target", target, "--output", output]);
  }
});

Deno.test("release.yml attaches both binaries and their SHA-256 checksums to the GitHub release", () => {
  const job = release.jobs["github-release"]!;
  assert.deepEqual(job.permissions, {
    contents: "write",
    "id-token": "write",
    attestations: "write",
  });
  const download = job.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))!;
  assert.equal(download.with?.path, "dist");
  const upload = release.jobs.binaries!.steps.find((s) =>
    s.uses?.startsWith("actions/upload-artifact@")
  )!;
  assert.equal(upload.with?.path, "dist/device-api-server-linux-${{ matrix.arch }}");
  const sums = job.steps.find((s) => s.run?.includes("sha256sum"))!.run!;
  assert.match(
    sums,
    /sha256sum device-api-server-linux-amd64 device-api-server-linux-arm64 > SHA256SUMS/,
  );
  const gh = job.steps.find((s) => s.uses?.startsWith("softprops/action-gh-release@"))!;
  assert.deepEqual(String(gh.with?.files).trim().split("\n"), [
    "dist/device-api-server-linux-amd64",
    "dist/device-api-server-linux-arm64",
    "dist/SHA256SUMS",
    "dist/SHA256SUMS.sigstore.json",
    "dist/device-api-server.spdx.json",
  ]);
  assert.equal(gh.with?.fail_on_unmatched_files, true);
});

Deno.test("release.yml pushes the distroless image of the release binaries for amd64 and arm64", async () => {
  const job = release.jobs.image!;
  assert.equal(job.permissions?.packages, "write");
  assert.ok(needsOf(job).includes("binaries"), "the image packs the release binaries");
  const uses = job.steps.map((s) => s.uses?.split("@")[0]);
  assert.ok(uses.includes("docker/setup-buildx-action"));
  assert.ok(!uses.includes("docker/setup-qemu-action"), "no emulated build");
  const download = job.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))!;
  assert.deepEqual(download.with, { pattern: "binary-*", path: "dist", "merge-multiple": true });
  const login = job.steps.find((s) => s.uses?.startsWith("docker/login-action@"))!;
  assert.equal(login.with?.registry, "ghcr.io");
  const build = job.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"))!;
  assert.equal(build.with?.file, "Dockerfile.distroless");
  assert.equal(build.with?.platforms, "linux/amd64,linux/arm64");
  assert.equal(build.with?.push, true);
  assert.equal(build.with?.sbom, true);
  assert.equal(build.with?.provenance, "mode=max");
  await Deno.stat(`${REPO}Dockerfile.distroless`);
  const name = job.steps.find((s) => s.run?.includes("IMAGE="))!.run!;
  assert.match(name, /IMAGE=ghcr\.io\/\$\{GITHUB_REPOSITORY_OWNER,,\}\/device-api-server/);
});

/** Steps of `job` after the first one matching `first`. */
function stepsAfter(job: Job, first: (s: Step) => boolean): Step[] {
  return job.steps.slice(job.steps.findIndex(first) + 1);
}

Deno.test("release.yml attests provenance and signs binaries, image and chart keylessly", () => {
  for (const name of ["github-release", "image", "chart"]) {
    const job = release.jobs[name]!;
    assert.equal(job.permissions?.["id-token"], "write", `${name}: OIDC for keyless signing`);
    assert.equal(job.permissions?.attestations, "write", name);
    const uses = job.steps.map((s) => s.uses?.split("@")[0]);
    assert.ok(uses.includes("actions/attest-build-provenance"), `${name}: provenance`);
    assert.ok(uses.includes("sigstore/cosign-installer"), `${name}: cosign`);
    const signing = stepsAfter(job, (s) => !!s.uses?.startsWith("sigstore/cosign-installer@"));
    assert.ok(signing.some((s) => /cosign sign(-blob)? --yes/.test(s.run ?? "")), name);
    // Keyless: no key file or key secret anywhere.
    assert.doesNotMatch(JSON.stringify(job), /--key|COSIGN_PRIVATE_KEY|COSIGN_PASSWORD/);
  }
  const binaries = release.jobs["github-release"]!;
  const attest = binaries.steps.find((s) =>
    s.uses?.startsWith("actions/attest-build-provenance@")
  )!;
  assert.equal(attest.with?.["subject-checksums"], "dist/SHA256SUMS");
  const image = release.jobs.image!;
  const imageAttest = image.steps.find((s) =>
    s.uses?.startsWith("actions/attest-build-provenance@")
  )!;
  assert.equal(imageAttest.with?.["subject-digest"], "${{ steps.build.outputs.digest }}");
  assert.equal(imageAttest.with?.["push-to-registry"], true);
});

Deno.test("release.yml publishes an SPDX SBOM of the binaries and of the chart", () => {
  for (const [name, key] of [["github-release", "path"], ["chart", "file"]] as const) {
    const sbom = release.jobs[name]!.steps.find((s) => s.uses?.startsWith("anchore/sbom-action@"))!;
    assert.equal(sbom.with?.format, "spdx-json", name);
    assert.ok(sbom.with?.[key], `${name}: SBOM subject`);
  }
  const gh = release.jobs["github-release"]!.steps.find((s) =>
    s.uses?.startsWith("softprops/action-gh-release@")
  )!;
  assert.ok(String(gh.with?.files).includes("dist/device-api-server.spdx.json"));
});

/** Runs a step's script with bash in `cwd`, with `${{ … }}` expressions replaced from `expressions`. */
async function runStep(
  step: Step,
  cwd: string,
  expressions: Record<string, string>,
  env: Record<string, string> = {},
): Promise<{ ok: boolean; output: string }> {
  const script = step.run!.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
    if (!(e in expressions)) throw new Error(`No value for \${{ ${e} }} in ${step.name}`);
    return expressions[e]!;
  });
  const res = await new Deno.Command("bash", {
    args: ["-e", "-o", "pipefail", "-c", script],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: res.success, output: dec.decode(res.stdout) + dec.decode(res.stderr) };
}

Deno.test("release.yml chart job lints and packages the chart into the file its push step sends", async () => {
  const job = release.jobs.chart!;
  assert.equal(job.permissions?.packages, "write");
  const helmBin = await ensureHelm();
  const work = await Deno.makeTempDir({ prefix: "dapi-chart-job-" });
  try {
    await Deno.symlink(`${REPO}charts`, `${work}/charts`);
    const version = "9.8.7";
    const env = {
      PATH: `${dirname(helmBin)}:${Deno.env.get("PATH")}`,
      HELM_CACHE_HOME: `${work}/.helm/cache`,
      HELM_CONFIG_HOME: `${work}/.helm/config`,
    };
    const expressions = { "needs.version.outputs.version": version };
    for (const name of ["Lint", "Package"]) {
      const res = await runStep(job.steps.find((s) => s.name === name)!, work, expressions, env);
      assert.ok(res.ok, `${name}: ${res.output}`);
    }
    // The push step sends dist/device-api-server-$VERSION.tgz to the owner's OCI charts path.
    const push = job.steps.find((s) => s.id === "push")!;
    assert.equal(push.env?.VERSION, "${{ needs.version.outputs.version }}");
    assert.match(
      push.run!,
      /helm push "dist\/device-api-server-\$VERSION\.tgz" "oci:\/\/ghcr\.io\/\$\{GITHUB_REPOSITORY_OWNER,,\}\/charts"/,
    );
    const tgz = `${work}/dist/device-api-server-${version}.tgz`;
    const shown = await new Deno.Command(helmBin, {
      args: ["show", "chart", tgz],
      env,
      stdout: "piped",
    })
      .output();
    const chart = parse(new TextDecoder().decode(shown.stdout));
    assert.deepEqual([chart.name, chart.version, chart.appVersion], [
      "device-api-server",
      version,
      version,
    ]);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("ci.yml and release.yml pin every action to a full commit SHA with its version", async () => {
  for (const file of ["ci.yml", "release.yml"]) {
    const text = await Deno.readTextFile(`${REPO}.github/workflows/${file}`);
    const uses = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(.+)$/gm)].map((m) => m[1]!.trim());
    assert.ok(uses.length > 0, file);
    for (const u of uses) {
      assert.match(u, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/, `${file}: ${u}`);
    }
  }
  // The same action is pinned to the same commit everywhere.
  const pins = new Map<string, string>();
  for (const wf of [ci, release]) {
    for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
      if (step.uses === undefined) continue;
      const [action, sha] = step.uses.split("@");
      assert.equal(pins.get(action!) ?? sha, sha, String(action));
      pins.set(action!, sha!);
    }
  }
});

Deno.test("ci.yml builds the distroless image on pull requests without pushing it", () => {
  const job = ci.jobs.image!;
  const compile = job.steps.find((s) => / task compile\b/.test(s.run ?? ""))!;
  assert.match(compile.run!, /--output dist\/device-api-server-linux-amd64$/);
  const build = job.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"))!;
  assert.equal(build.with?.file, "Dockerfile.distroless");
  assert.equal(build.with?.push, false);
  assert.equal(build.with?.platforms, "linux/amd64");
  assert.ok(job.steps.indexOf(compile) < job.steps.indexOf(build));
  assert.equal(ci.on.pull_request, null, "every pull request");
  assert.equal(job.permissions, undefined, "no write permission: the workflow's contents: read");
});

Deno.test("dependabot.yml updates actions, the docker base and npm packages weekly", async () => {
  const config = parse(await Deno.readTextFile(`${REPO}.github/dependabot.yml`));
  assert.equal(config.version, 2);
  const ecosystems = config.updates.map((u: { "package-ecosystem": string }) =>
    u["package-ecosystem"]
  ).sort();
  assert.deepEqual(ecosystems, ["docker", "github-actions", "npm"]);
  for (const u of config.updates) {
    assert.equal(u.directory, "/");
    assert.equal(u.schedule.interval, "weekly");
  }
});

/** Runs the release's version check for `tag` in the repository; returns its status and output. */
async function checkVersion(tag: string): Promise<{ ok: boolean; output: string; out: string }> {
  await ensureDebianPackages(["jq"], ["jq"]);
  const step = release.jobs.version!.steps.find((s) => s.id === "version")!;
  const outFile = await Deno.makeTempFile();
  try {
    const env = { GITHUB_REF_NAME: tag, GITHUB_OUTPUT: outFile };
    const res = await runStep(step, REPO, {}, env);
    return { ...res, out: await Deno.readTextFile(outFile) };
  } finally {
    await Deno.remove(outFile);
  }
}

Deno.test("release.yml version check accepts the tag of deno.json's version and refuses others", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`));
  const good = await checkVersion(`v${version}`);
  assert.ok(good.ok, good.output);
  assert.equal(good.out, `version=${version}\n`);
  const bad = await checkVersion("v99.0.0");
  assert.equal(bad.ok, false);
  assert.match(bad.output, /::error::tag v99\.0\.0 does not match deno\.json version/);
  assert.equal(bad.out, "");
});

Deno.test("actionlint() finds no problem in ci.yml and release.yml", async () => {
  for (const file of ["ci.yml", "release.yml"]) {
    const path = `.github/workflows/${file}`;
    const problems = await actionlint(await Deno.readTextFile(`${REPO}${path}`), path);
    assert.deepEqual(problems, [], file);
  }
});

Deno.test("actionlint() reports unknown keys, undefined expressions and bad permissions", async () => {
  const problems = await actionlint(
    [
      "on: push",
      "permissions:",
      "  contents: wrote",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    stepz: []",
      "    steps:",
      "      - run: echo ${{ matrix.nope }}",
    ].join("\n"),
    ".github/workflows/bad.yml",
  );
  const kinds = problems.map((p) => `${p.line}:${p.kind}`).sort();
  assert.deepEqual(kinds, ["3:permissions", "7:syntax-check", "9:expression"]);
});
