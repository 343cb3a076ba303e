/**
 * Shared by the CLI tests: a GPU builder for the pure formatters, and a runner that starts the
 * CLI as `deno run -A src/main.ts ARGS` the way an operator runs the binary.
 *
 * @module
 */
import type { Condition, Gpu } from "../../src/api/mod.ts";
import { MAIN, type ServerProcess, startServer, testGpu } from "../_helpers/server_process.ts";
import { gpuObject } from "../_helpers/gpu_object.ts";

/** A fixed "now" for the pure formatters: 2024-05-01T12:00:00Z. */
export const NOW: number = Date.UTC(2024, 4, 1, 12, 0, 0);

/** A condition with empty optional fields. */
export function condition(type: string, status: string, extra: Partial<Condition> = {}): Condition {
  return {
    type,
    status,
    lastTransitionTime: null,
    reason: "",
    message: "",
    observedGeneration: 0,
    owner: "",
    ...extra,
  };
}

/** A fully populated GPU created `ageMs` before NOW. */
export function sampleGpu(name: string, conditions: Condition[] = [], ageMs = 5 * 60_000): Gpu {
  const created = NOW - ageMs;
  return gpuObject(name, 7, {
    metadata: {
      uid: "8c2b8a1e-0000-4000-8000-000000000001",
      creationTimestamp: { seconds: Math.floor(created / 1000), nanos: (created % 1000) * 1e6 },
    },
    status: { conditions },
  });
}

/**
 * Starts the real server holding one test GPU per name.
 *
 * @param names the GPUs to create, in namespace "default"
 */
export async function serverWithGpus(...names: string[]): Promise<ServerProcess> {
  const server = await startServer();
  const client = server.client();
  try {
    for (const name of names) await client.create(testGpu(name));
    return server;
  } catch (err) {
    await server[Symbol.asyncDispose]();
    throw err;
  } finally {
    client.close();
  }
}

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI to completion.
 *
 * @param args arguments after `src/main.ts`
 * @param env extra environment variables
 */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { ...baseEnv(), ...env },
    clearEnv: true, // no DEVICE_API_* from the test's own environment
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Starts the CLI and returns the child with its stdout as lines, for `watch`.
 *
 * @param args arguments after `src/main.ts`
 */
export function spawnCli(
  args: string[],
): { child: Deno.ChildProcess; lines: AsyncIterator<string> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: baseEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { child, lines: readLines(child.stdout)[Symbol.asyncIterator]() };
}

// What Deno itself needs to find its caches, and nothing that configures the server.
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer !== "") yield buffer;
}
