/**
 * gRPC helpers shared by integration tests: reading N watch events, and a
 * server-reflection query from a client that has none of our protos.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { WatchEvent } from "../../src/client/mod.ts";
import { REPO_ROOT } from "./server_process.ts";

/** Reads exactly `n` events, failing if the stream ends first. */
export async function take(it: AsyncIterator<WatchEvent>, n: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) throw new Error(`stream ended after ${out.length} events`);
    out.push(r.value);
  }
  return out;
}

/** What a reflection client learns: the service names and the descriptors' text. */
export interface ReflectionAnswer {
  services: string[];
  /** Every file descriptor returned for the symbol, decoded as text (names are readable). */
  descriptorText: string;
}

/**
 * Asks the server's reflection service (grpc.reflection.v1) for its service
 * list and for the file that contains `symbol`, as grpcurl does.
 */
export async function queryReflection(target: string, symbol: string): Promise<ReflectionAnswer> {
  const dir = Deno.realPathSync(`${REPO_ROOT}node_modules/@grpc/reflection/build/proto`);
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync("grpc/reflection/v1/reflection.proto", {
      includeDirs: [dir],
      keepCase: true,
    }),
  );
  // deno-lint-ignore no-explicit-any
  const Reflection = (pkg as any).grpc.reflection.v1.ServerReflection as typeof grpc.Client;
  const client = new Reflection(target, grpc.credentials.createInsecure()) as grpc.Client & {
    ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, Record<string, unknown>>;
  };
  try {
    const call = client.ServerReflectionInfo();
    const responses: Record<string, unknown>[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (r) => {
        responses.push(r);
        if (responses.length === 2) call.end();
      });
      call.on("end", resolve);
      call.on("error", reject);
    });
    call.write({ list_services: "" });
    call.write({ file_containing_symbol: symbol });
    await done;
    const list = responses[0]!.list_services_response as { service: { name: string }[] };
    const files = responses[1]!.file_descriptor_response as { file_descriptor_proto: Uint8Array[] };
    return {
      services: list.service.map((s) => s.name),
      descriptorText: files.file_descriptor_proto.map((f) => new TextDecoder().decode(f)).join(
        "\n",
      ),
    };
  } finally {
    client.close();
  }
}
