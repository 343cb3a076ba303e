/**
 * The go-grpc-prometheus interceptor on an in-process grpc-js server with a
 * test service of raw-bytes methods: unary, server streaming, failures,
 * client cancellation and deadlines.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { grpcMetricsInterceptor, grpcType } from "../../src/metrics/mod.ts";
import { disconnected } from "../_helpers/server_process.ts";
import { eventually, type Exposition, scrapeRegistry } from "./_exposition.ts";

const opts = {};
const SERVICE = "test.v1.Probe";

function method(name: string, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  const id = (b: Buffer) => b;
  return {
    path: `/${SERVICE}/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  };
}

const definition: grpc.ServiceDefinition = {
  Echo: method("Echo", false),
  Missing: method("Missing", false),
  Hang: method("Hang", false),
  Stream: method("Stream", true),
  Endless: method("Endless", true),
};

const handlers: grpc.UntypedServiceImplementation = {
  Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
    cb(null, call.request),
  Missing: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) =>
    cb({ code: grpc.status.NOT_FOUND, details: "no such thing" }),
  Hang: () => {}, // never answers: the client's deadline ends it
  Stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
    for (let i = 0; i < 3; i++) call.write(Buffer.from([i]));
    call.end();
  },
  Endless: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
    call.write(Buffer.from("first")); // then nothing until the client cancels
  },
};

async function withServer(
  test: (client: grpc.Client, scrape: () => Promise<Exposition>, port: number) => Promise<void>,
): Promise<void> {
  const registry = new Registry();
  const server = new grpc.Server({ interceptors: [grpcMetricsInterceptor(registry)] });
  server.addService(definition, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (e, p) => (e ? reject(e) : resolve(p)),
    )
  );
  const Client = grpc.makeGenericClientConstructor(definition, "Probe");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    await test(client, () => scrapeRegistry(registry), port);
  } finally {
    client.close();
    // Closed at both ends first: the GOAWAY of a shutdown can crash a Deno 2.9.6 client that is
    // still connected or closing (denoland/deno#36788), and both ends live in this process.
    await disconnected({ tcpAddress: `127.0.0.1:${port}` });
    server.forceShutdown();
  }
}

type Unary = (
  req: Buffer,
  md: grpc.Metadata,
  o: grpc.CallOptions,
  cb: grpc.requestCallback<Buffer>,
) => void;
type Streaming = (
  req: Buffer,
  md: grpc.Metadata,
  o: grpc.CallOptions,
) => grpc.ClientReadableStream<Buffer>;

function unary(
  client: grpc.Client,
  name: string,
  deadlineMs = 10_000,
): Promise<grpc.ServiceError | null> {
  const fn = (client as unknown as Record<string, Unary>)[name]!.bind(client);
  return new Promise((resolve) =>
    fn(
      Buffer.from("hi"),
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err) => resolve(err),
    )
  );
}

// A call over plain HTTP/2 with a grpc-timeout header that nothing on the client side enforces;
// resolves with the grpc-status the server ends it with.
function callWithServerDeadline(port: number, name: string, timeout: string): Promise<number> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  return new Promise<number>((resolve, reject) => {
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": `/${SERVICE}/${name}`,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": timeout,
    });
    let status: number | undefined;
    const take = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) status = Number(headers["grpc-status"]);
    };
    req.on("response", take);
    req.on("trailers", take);
    req.on("error", reject);
    req.on(
      "close",
      () => status === undefined ? reject(new Error("no grpc-status")) : resolve(status),
    );
    req.resume();
    req.end(Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69])); // one uncompressed message, "hi"
  }).finally(() => session.close());
}

function stream(client: grpc.Client, name: string): grpc.ClientReadableStream<Buffer> {
  const fn = (client as unknown as Record<string, Streaming>)[name]!.bind(client);
  return fn(Buffer.from("hi"), new grpc.Metadata(), {});
}

const labels = (method: string, type = "unary") => ({
  grpc_type: type,
  grpc_service: SERVICE,
  grpc_method: method,
});

Deno.test(
  "grpcMetricsInterceptor() counts a successful unary call once, with one message each way",
  opts,
  async () => {
    await withServer(async (client, scrape) => {
      assert.equal(await unary(client, "Echo"), null);
      assert.equal(await unary(client, "Echo"), null);
      const m = await scrape();
      const l = labels("Echo");
      assert.equal(m.value("grpc_server_started_total", l), 2);
      assert.equal(m.value("grpc_server_handled_total", { ...l, grpc_code: "OK" }), 2);
      assert.equal(m.find("grpc_server_handled_total", l).length, 1, "only OK");
      assert.equal(m.value("grpc_server_msg_received_total", l), 2);
      assert.equal(m.value("grpc_server_msg_sent_total", l), 2);
      assert.equal(m.value("grpc_server_handling_seconds_count", l), 2);
      assert.equal(m.value("grpc_server_handling_seconds_bucket", { ...l, le: "+Inf" }), 2);
      assert.deepEqual(
        m.find("grpc_server_handling_seconds_bucket", l).map((s) => s.labels.le),
        ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"],
      );
    });
  },
);

Deno.test(
  "grpcMetricsInterceptor() keeps counting across scrapes: each scrape shows the running total",
  opts,
  async () => {
    await withServer(async (client, scrape) => {
      const l = labels("Echo");
      assert.equal(await unary(client, "Echo"), null);
      assert.equal((await scrape()).value("grpc_server_started_total", l), 1);
      assert.equal((await scrape()).value("grpc_server_started_total", l), 1, "no double count");
      for (let i = 0; i < 3; i++) assert.equal(await unary(client, "Echo"), null);
      assert.equal((await unary(client, "Missing"))?.code, grpc.status.NOT_FOUND);
      const m = await scrape();
      assert.equal(m.value("grpc_server_started_total", l), 4);
      assert.equal(m.value("grpc_server_handled_total", { ...l, grpc_code: "OK" }), 4);
      assert.equal(m.value("grpc_server_msg_received_total", l), 4);
      assert.equal(m.value("grpc_server_msg_sent_total", l), 4);
      assert.equal(m.value("grpc_server_handling_seconds_count", l), 4);
      const missing = { ...labels("Missing"), grpc_code: "NotFound" };
      assert.equal(m.value("grpc_server_handled_total", missing), 1);
    });
  },
);

Deno.test(
  "grpcMetricsInterceptor() labels a failed call with the Go code name and counts no reply",
  opts,
  async () => {
    await withServer(async (client, scrape) => {
      assert.equal((await unary(client, "Missing"))?.code, grpc.status.NOT_FOUND);
      const m = await scrape();
      const l = labels("Missing");
      assert.equal(m.value("grpc_server_handled_total", { ...l, grpc_code: "NotFound" }), 1);
      assert.equal(m.find("grpc_server_handled_total", l).length, 1);
      assert.equal(m.value("grpc_server_msg_received_total", l), 1);
      assert.equal(m.value("grpc_server_msg_sent_total", l), 0);
      assert.equal(m.value("grpc_server_handling_seconds_count", l), 1);
    });
  },
);

Deno.test(
  "grpcMetricsInterceptor() counts every message of a server stream and its OK",
  opts,
  async () => {
    await withServer(async (client, scrape) => {
      const call = stream(client, "Stream");
      const received: Buffer[] = [];
      call.on("data", (b: Buffer) => received.push(b));
      await new Promise<void>((resolve, reject) => {
        call.on("end", resolve);
        call.on("error", reject);
      });
      assert.equal(received.length, 3);
      const l = labels("Stream", "server_stream");
      const m = await eventually(async () => {
        const m = await scrape();
        assert.equal(m.value("grpc_server_handled_total", { ...l, grpc_code: "OK" }), 1);
        return m;
      });
      assert.equal(m.value("grpc_server_started_total", l), 1);
      assert.equal(m.value("grpc_server_msg_received_total", l), 1);
      assert.equal(m.value("grpc_server_msg_sent_total", l), 3);
      assert.equal(m.value("grpc_server_handling_seconds_count", l), 1);
    });
  },
);

Deno.test(
  "grpcMetricsInterceptor() counts a stream the client cancels as Canceled, exactly once",
  opts,
  async () => {
    await withServer(async (client, scrape) => {
      const call = stream(client, "Endless");
      call.on("error", () => {}); // the client sees its own CANCELLED
      await new Promise<void>((resolve) => call.once("data", () => resolve()));
      call.cancel();
      const l = labels("Endless", "server_stream");
      await eventually(async () => {
        const m = await scrape();
        assert.equal(m.value("grpc_server_handled_total", { ...l, grpc_code: "Canceled" }), 1);
      });
      // A later call ending normally must not count the cancelled one again.
      assert.equal(await unary(client, "Echo"), null);
      const m = await scrape();
      assert.equal(m.find("grpc_server_handled_total", l).length, 1, "only Canceled");
      assert.equal(m.value("grpc_server_handled_total", { ...l, grpc_code: "Canceled" }), 1);
      assert.equal(m.value("grpc_server_started_total", l), 1);
      assert.equal(m.value("grpc_server_handling_seconds_count", l), 1);
      assert.equal(m.value("grpc_server_msg_sent_total", l), 1);
    });
  },
);

Deno.test(
  "grpcMetricsInterceptor() counts a call whose deadline passes as DeadlineExceeded",
  opts,
  async () => {
    await withServer(async (_client, scrape, port) => {
      // Only the server enforces this deadline: a grpc-js client would also cancel the call at
      // its deadline, and under load that cancellation can reach the server first.
      assert.equal(
        await callWithServerDeadline(port, "Hang", "100m"),
        grpc.status.DEADLINE_EXCEEDED,
      );
      const l = labels("Hang");
      await eventually(async () => {
        const m = await scrape();
        assert.equal(
          m.value("grpc_server_handled_total", { ...l, grpc_code: "DeadlineExceeded" }),
          1,
        );
        assert.equal(m.find("grpc_server_handled_total", l).length, 1);
      });
    });
  },
);

Deno.test("grpcType() maps streaming flags to go-grpc-prometheus type names", () => {
  assert.equal(grpcType({ requestStream: false, responseStream: false }), "unary");
  assert.equal(grpcType({ requestStream: true, responseStream: false }), "client_stream");
  assert.equal(grpcType({ requestStream: false, responseStream: true }), "server_stream");
  assert.equal(grpcType({ requestStream: true, responseStream: true }), "bidi_stream");
});
