/**
 * Health endpoints, gRPC health and reflection through the real server.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Buffer } from "node:buffer";
import { freePort, REPO_ROOT, startServer, testGpu } from "../_helpers/server_process.ts";
import { queryReflection } from "../_helpers/grpc_helpers.ts";
import { ChildClient, retryChildCrash, SHUTDOWN_CLIENT } from "../_helpers/child_client.ts";

const opts = {};

/** The reflection services the server offers: v1 and the older v1alpha. */
const SERVICES = [
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

// A grpc-js client for a service described by a .proto file.
// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;
function clientFor(
  file: string,
  includeDirs: string[],
  service: string,
  target: string,
): grpc.Client {
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(file, { includeDirs, keepCase: true, enums: String }),
  );
  // deno-lint-ignore no-explicit-any
  const ctor = service.split(".").reduce((o: any, k) => o[k], pkg) as typeof grpc.Client;
  return new ctor(target, grpc.credentials.createInsecure());
}

Deno.test(
  "HTTP health: /livez and /healthz answer, /readyz follows startup, steady state and shutdown",
  opts,
  async () => {
    const port = freePort();
    await using server = await startServer({
      args: [`--health-port=${port}`, "--shutdown-delay=3s"],
    });
    assert.deepEqual(await get(port, "/livez"), { status: 200, body: "ok" });
    assert.deepEqual(await get(port, "/healthz"), { status: 200, body: "ok" });
    assert.deepEqual(await get(port, "/readyz"), { status: 200, body: "ok" });
    const verbose = await get(port, "/readyz?verbose");
    assert.match(
      verbose.body,
      /\[\+\]listeners ok\n\[\+\]sockets ok\n\[\+\]shutdown ok\n\[\+\]state ok\n\[\+\]gpus ok\nreadyz check passed/,
    );
    assert.equal((await get(port, "/nope")).status, 404);

    server.child.kill("SIGTERM");
    await server.waitForLog((l) => l.msg === "Shutting down gracefully");
    // During the shutdown delay: not ready, still alive, gRPC still serving.
    const during = await get(port, "/readyz");
    assert.equal(during.status, 503);
    assert.match(during.body, /shutdown: server is shutting down/);
    assert.equal((await get(port, "/livez")).status, 200);
    const client = server.client();
    await client.create(testGpu("still-serving"));
    client.close();
    // Gone before the delay ends: the stop's GOAWAY can crash a Deno 2.9.6 client that is still
    // connected or closing (denoland/deno#36788).
    await server.disconnected();
    assert.equal((await server.status).code, 0);
  },
);

Deno.test(
  "HTTP health: the opt-in GPU gate holds /readyz until a GPU is registered",
  opts,
  async () => {
    const port = freePort();
    await using server = await startServer({
      args: [`--health-port=${port}`, "--readiness-min-gpus=1"],
    });
    const before = await get(port, "/readyz");
    assert.equal(before.status, 503);
    assert.match(before.body, /gpus: waiting for GPUs: 0 of 1 registered/);
    const client = server.client();
    await client.create(testGpu("gpu-0"));
    client.close();
    assert.equal((await get(port, "/readyz")).status, 200);
  },
);

Deno.test(
  "HTTP health: the GPU gate opens after the grace period even with no GPU",
  opts,
  async () => {
    const port = freePort();
    await using _server = await startServer({
      args: [`--health-port=${port}`, "--readiness-min-gpus=1", "--readiness-grace-period=1s"],
    });
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await get(port, "/readyz")).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200);
  },
);

Deno.test(
  "gRPC health: Check and Watch report SERVING, then NOT_SERVING at shutdown",
  opts,
  async () => {
    await using server = await startServer();
    const health = clientFor(
      "grpc/health/v1/health.proto",
      [`${REPO_ROOT}proto`],
      "grpc.health.v1.Health",
      `unix://${server.socket}`,
    ) as grpc.Client & Record<"Check" | "Watch" | "ServerReflectionInfo", AnyFn>;
    try {
      for (
        const service of [
          "",
          "nvidia.device.v1alpha1.GpuService",
          "nvidia.device.v1alpha1.ProviderService",
        ]
      ) {
        const res = await new Promise<{ status: string }>((resolve, reject) =>
          health.Check(
            { service },
            (err: Error | null, r: { status: string }) => (err ? reject(err) : resolve(r)),
          )
        );
        assert.equal(res.status, "SERVING");
      }
      await assert.rejects(
        new Promise((resolve, reject) =>
          health.Check(
            { service: "nope" },
            (err: Error | null, r: unknown) => (err ? reject(err) : resolve(r)),
          )
        ),
        (e: { code: number }) => e.code === grpc.status.NOT_FOUND,
      );
    } finally {
      health.close();
    }
    // The Watch runs in a child process: the GOAWAY of the shutdown can crash a Deno 2.9.6
    // client (denoland/deno#36788), which is retried there instead of ending this process.
    await retryChildCrash(async (track) => {
      await using watched = track(await startServer());
      const target = `unix://${watched.socket}`;
      const watcher = track(new ChildClient([SHUTDOWN_CLIENT, "health", target]));
      const at = await watcher.waitFor(/^status /);
      assert.equal((await watched.stop("SIGTERM", { openClients: 1 })).code, 0);
      await watcher.waitFor(/^ended /, at);
      assert.deepEqual(watcher.out.all, [
        "status SERVING",
        "status NOT_SERVING",
        `ended ${grpc.status.UNAVAILABLE}`,
      ]);
    });
  },
);

Deno.test(
  "gRPC reflection lists and describes the services for a client without our proto",
  opts,
  async () => {
    await using server = await startServer();
    const { services, descriptorText } = await queryReflection(
      `unix://${server.socket}`,
      "nvidia.device.v1alpha1.GpuService",
    );
    assert.ok(services.includes("nvidia.device.v1alpha1.GpuService"), services.join());
    assert.ok(services.includes("grpc.health.v1.Health"), services.join());
    assert.match(descriptorText, /nvidia\.device\.v1alpha1/);
    assert.match(descriptorText, /WatchGpus/);
  },
);

// One raw reflection exchange: the request's bytes out, the first answer (its size) or the status.
function reflectOnce(target: string, service: string, request: Uint8Array): Promise<string> {
  const same = (b: Buffer) => b;
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise<string>((resolve) => {
    // A deadline, so that a lost request fails the test instead of hanging it.
    const call = client.makeBidiStreamRequest(
      `/${service}/ServerReflectionInfo`,
      same,
      same,
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
    );
    call.on("data", (answer: Buffer) => {
      resolve(`answer of ${answer.length} bytes`);
      call.end();
    });
    call.on(
      "error",
      (err: grpc.ServiceError) => resolve(`${grpc.status[err.code]}: ${err.details}`),
    );
    call.write(Buffer.from(request));
  }).finally(() => client.close());
}

Deno.test(
  "gRPC reflection answers on both versions and refuses a malformed request as INVALID_ARGUMENT",
  opts,
  async () => {
    await using server = await startServer({ noTcp: true });
    const target = `unix://${server.socket}`;
    for (const service of SERVICES) {
      // list_services (field 7) "*", then a length that runs past the end of the message.
      assert.match(await reflectOnce(target, service, Uint8Array.of(0x3a, 1, 0x2a)), /^answer/);
      assert.equal(
        await reflectOnce(target, service, Uint8Array.of(0x0a, 0xff)),
        "INVALID_ARGUMENT: malformed reflection request",
      );
    }
  },
);
