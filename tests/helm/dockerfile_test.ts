import { compileCommand } from "../../scripts/compile.ts";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { argMap, one, renderChart } from "./_chart.ts";

const REPO = new URL("../../", import.meta.url).pathname;

interface Instruction {
  op: string;
  value: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, continuations joined). */
function parseDockerfile(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const joined = text.replace(/\\\n/g, " ").split("\n").filter((l) =>
    l.trim() !== "" && !l.trim().startsWith("#")
  );
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of joined) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m === null) throw new SyntaxError(`Cannot parse Dockerfile line: ${line}`);
    const ins = { op: m[1]!.toUpperCase(), value: m[2]!.trim() };
    if (ins.op === "FROM") {
      const [from, as, name] = ins.value.split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === "AS" ? name : undefined, body: [] });
    } else if (stages.length === 0) preamble.push(ins);
    else stages.at(-1)!.body.push(ins);
  }
  return { preamble, stages };
}

const dockerfile = await Deno.readTextFile(`${REPO}Dockerfile.distroless`);
const { preamble, stages } = parseDockerfile(dockerfile);
const final = stages.at(-1)!;
const container = one(await renderChart(), "DaemonSet").spec.template.spec.containers[0];
const chartValues = parse(
  await Deno.readTextFile(`${REPO}charts/device-api-server/values.yaml`),
);
/** Values of the `op` instructions of a stage, in order. */
function ops(stage: Stage, op: string): string[] {
  return stage.body.filter((i) => i.op === op).map((i) => i.value);
}
/** LABEL key=value pairs of a stage. */
function labels(stage: Stage): Map<string, string> {
  const pairs = ops(stage, "LABEL").join(" ").matchAll(/([\w.-]+)="([^"]*)"/g);
  return new Map([...pairs].map((m) => [m[1]!, m[2]!]));
}

Deno.test("parseDockerfile() splits stages and joins continued lines", () => {
  const parsed = parseDockerfile(
    "ARG A=1\n# comment\nFROM x@sha256:" + "0".repeat(64) + " AS one\nRUN a \\\n  b\nFROM y\n",
  );
  assert.deepEqual(parsed.preamble, [{ op: "ARG", value: "A=1" }]);
  assert.deepEqual(parsed.stages.map((s) => [s.from, s.name]), [
    [`x@sha256:${"0".repeat(64)}`, "one"],
    ["y", undefined],
  ]);
  assert.deepEqual(parsed.stages[0]!.body, [{ op: "RUN", value: "a    b" }]);
});

Deno.test("Dockerfile.distroless pins every FROM by digest", () => {
  assert.ok(stages.length > 0);
  for (const stage of stages) assert.match(stage.from, /^[^@\s]+@sha256:[0-9a-f]{64}$/, stage.from);
  assert.deepEqual(preamble, []);
});

Deno.test("Dockerfile.distroless is one distroless cc-debian13 nonroot stage without RUN", () => {
  assert.equal(stages.length, 1, "no build stage: the image packs the release binaries");
  assert.match(final.from, /^gcr\.io\/distroless\/cc-debian13:nonroot@sha256:/);
  assert.deepEqual(ops(final, "RUN"), [], "no RUN: nothing is emulated for arm64");
  assert.equal(
    labels(final).get("org.opencontainers.image.base.name"),
    final.from.split("@")[0],
  );
});

Deno.test("Dockerfile.distroless packs the release's binary of the target architecture and the license", async () => {
  assert.ok(ops(final, "ARG").includes("TARGETARCH"));
  assert.deepEqual(ops(final, "COPY"), [
    "--chown=0:0 --chmod=0644 LICENSE /licenses/LICENSE",
    "--chown=0:0 --chmod=0755 dist/device-api-server-linux-${TARGETARCH} /device-api-server",
  ]);
  // The names the release's binaries job compiles, once per architecture of its matrix.
  const release = parse(await Deno.readTextFile(`${REPO}.github/workflows/release.yml`));
  const template = "dist/device-api-server-linux-${{ matrix.arch }}";
  assert.ok(
    release.jobs.binaries.steps.some((s: { run?: string }) =>
      s.run?.includes(`--output ${template}`)
    ),
  );
  const arches = release.jobs.binaries.strategy.matrix.include.map((m: { arch: string }) => m.arch);
  assert.deepEqual(arches, ["amd64", "arm64"], "buildx TARGETARCH names");
  assert.match(await Deno.readTextFile(`${REPO}LICENSE`), /Apache License\s+Version 2\.0/);
});

Deno.test("Dockerfile.distroless labels name the license, source, version and revision", () => {
  const l = labels(final);
  assert.equal(l.get("org.opencontainers.image.licenses"), "Apache-2.0");
  for (const key of ["title", "description", "source", "version", "revision"]) {
    assert.ok(l.get(`org.opencontainers.image.${key}`), key);
  }
});

Deno.test("Dockerfile.distroless runs as the chart's dedicated UID and GID", () => {
  const { runAsUser, runAsGroup } = chartValues.securityContext;
  assert.deepEqual(ops(final, "USER"), [`${runAsUser}:${runAsGroup}`]);
  assert.deepEqual([container.securityContext.runAsUser, container.securityContext.runAsGroup], [
    runAsUser,
    runAsGroup,
  ]);
  // Not the shared distroless nonroot (65532) or nobody (65534).
  assert.ok(![65532, 65534].includes(runAsUser));
});

Deno.test("Dockerfile.distroless entrypoint and default args agree with the chart's container", () => {
  const entrypoint = JSON.parse(ops(final, "ENTRYPOINT")[0]!);
  assert.deepEqual(
    entrypoint,
    container.command,
    "exec-form ENTRYPOINT equals the chart's command",
  );
  assert.equal(entrypoint[0], "/device-api-server");
  const chartArgs = argMap(container.args);
  for (const [flag, value] of argMap(JSON.parse(ops(final, "CMD")[0]!))) {
    assert.equal(chartArgs.get(flag), value, `CMD --${flag} differs from the chart`);
  }
  const exposed = ops(final, "EXPOSE")[0]!.split(/\s+/).map(Number);
  assert.deepEqual(exposed, [
    Number(chartArgs.get("health-port")),
    Number(chartArgs.get("metrics-port")),
  ]);
});

Deno.test(".dockerignore admits only the license and the release binaries", async () => {
  const lines = (await Deno.readTextFile(`${REPO}.dockerignore`)).split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  assert.deepEqual(lines, [
    "*",
    "!LICENSE",
    "!dist/device-api-server-linux-amd64",
    "!dist/device-api-server-linux-arm64",
  ]);
});

const denoJson = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`));
Deno.test("deno.json compile task passes --output through, as the release and CI name the binaries", () => {
  // No ignore: a missing compile task fails here instead of skipping.
  const task = denoJson.tasks?.compile;
  assert.ok(task !== undefined, "deno.json has no compile task");
  const command = typeof task === "string" ? task : task.command;
  assert.match(command, /scripts\/compile\.ts/);
  const args = compileCommand(["--output", "dist/device-api-server-linux-amd64"]);
  assert.equal(args[0], "compile");
  assert.equal(args[args.indexOf("--output") + 1], "dist/device-api-server-linux-amd64");
  assert.equal(args.filter((a) => a === "--output").length, 1);
});
