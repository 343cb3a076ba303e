import { compileCommand } from "../../scripts/compile.ts";
import assert from "node:assert/strict";
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

const { preamble, stages } = parseDockerfile(
  await Deno.readTextFile(`${REPO}Dockerfile.distroless`),
);
const final = stages.at(-1)!;
const build = stages.find((s) => s.name === "build")!;
const container = one(await renderChart(), "DaemonSet").spec.template.spec.containers[0];
/** Values of the `op` instructions of a stage, in order. */
function ops(stage: Stage, op: string): string[] {
  return stage.body.filter((i) => i.op === op).map((i) => i.value);
}

Deno.test("Dockerfile.distroless builds with the project's Deno version", () => {
  assert.deepEqual(preamble, [{ op: "ARG", value: `DENO_VERSION=${Deno.version.deno}` }]);
  assert.equal(stages[0]!.from, "denoland/deno:bin-${DENO_VERSION}");
  assert.ok(ops(build, "COPY").includes(`--from=${stages[0]!.name} /deno /usr/local/bin/deno`));
});

Deno.test("Dockerfile.distroless build stage installs locked dependencies, then runs deno task compile", () => {
  const runs = ops(build, "RUN");
  assert.deepEqual(runs.map((r) => r.split(/\s+/).slice(0, 3).join(" ")), [
    "deno install --frozen",
    "deno task compile",
  ]);
  const order = build.body.map((i) => `${i.op} ${i.value}`);
  assert.ok(
    order.indexOf("COPY deno.json deno.lock ./") < order.indexOf("RUN deno install --frozen"),
  );
  assert.ok(
    order.indexOf("COPY . .") < order.findIndex((l) => l.startsWith("RUN deno task compile")),
  );
});

Deno.test("Dockerfile.distroless final stage is distroless cc nonroot with only the binary", () => {
  assert.equal(final.from, "gcr.io/distroless/cc-debian12:nonroot");
  assert.deepEqual(ops(final, "RUN"), [], "a distroless stage has no shell to RUN in");
  assert.deepEqual(ops(final, "COPY"), [
    "--from=build --chown=0:0 --chmod=0755 /src/dist/device-api-server /device-api-server",
  ]);
  assert.deepEqual(ops(final, "USER"), ["65532:65532"]);
  const labels = ops(final, "LABEL").join(" ");
  for (const key of ["title", "description", "source", "version", "revision"]) {
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`));
  }
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

Deno.test(".dockerignore keeps the sources and drops local build state", async () => {
  const ignored = (await Deno.readTextFile(`${REPO}.dockerignore`)).split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  for (const p of ["node_modules", ".git", ".cache", "dist"]) assert.ok(ignored.includes(p), p);
  for (const p of ["deno.json", "deno.lock", "src", "proto"]) assert.ok(!ignored.includes(p), p);
});

const denoJson = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`));
Deno.test({
  name: "deno.json compile task writes the dist/device-api-server that the image copies",
  ignore: denoJson.tasks?.compile === undefined,
  fn() {
    const task = denoJson.tasks.compile;
    const command = typeof task === "string" ? task : task.command;
    assert.match(command, /scripts\/compile\.ts/);
    const args = compileCommand();
    assert.equal(args[0], "compile");
    assert.equal(args[args.indexOf("--output") + 1], "dist/device-api-server");
  },
});
