/**
 * The CPU profile summary of the benchmark: layers, self time, and what is
 * charged to the project's own code.
 */
import assert from "node:assert/strict";
import { type CpuProfile, layerOf, summarize } from "../../bench/profile_top.ts";

const ROOT = "file:///repo";
const GRPC = `${ROOT}/node_modules/.deno/@grpc+grpc-js@1.14.7/node_modules/@grpc/grpc-js/build/src`;
const PROM = `${ROOT}/node_modules/.deno/prom-client@15.1.3/node_modules/prom-client/lib`;

Deno.test("layerOf() tells our code from grpc-js, its build/src, Deno and V8", () => {
  assert.equal(layerOf(`${ROOT}/src/metrics/grpc_interceptor.ts`, "f"), "project (src/)");
  assert.equal(layerOf(`${GRPC}/server.js`, "f"), "@grpc/grpc-js");
  assert.equal(layerOf(`${PROM}/histogram.js`, "f"), "prom-client");
  assert.equal(
    layerOf("ext:deno_node/http2.ts", "f"),
    "Deno node: compatibility (http2, net, streams, buffer)",
  );
  assert.equal(layerOf("ext:core/01_core.js", "f"), "Deno runtime");
  assert.equal(layerOf("", "(garbage collector)"), "GC");
  assert.equal(layerOf("", "writeBuffer"), "V8 builtins");
});

Deno.test("summarize() charges a library to our code only when our code called it", () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", ""), children: [2, 5, 7, 8] },
      { id: 2, callFrame: frame("onCall", `${GRPC}/server.js`), children: [3] },
      { id: 3, callFrame: frame("intercept", `${ROOT}/src/metrics/m.ts`), children: [4, 6] },
      { id: 4, callFrame: frame("observe", `${PROM}/histogram.js`) },
      { id: 5, callFrame: frame("(idle)", "") },
      { id: 6, callFrame: frame("write", `${GRPC}/server-call.js`) },
      { id: 7, callFrame: frame("(garbage collector)", "") },
      { id: 8, callFrame: frame("socketOnData", "ext:deno_node/http2.ts") },
    ],
    // prom-client under our code twice, grpc-js under our code once, GC, HTTP/2, idle.
    samples: [4, 4, 6, 7, 8, 5, 5, 5],
  };
  const s = summarize([profile]);
  assert.equal(s.busySamples, 5, "idle left out");
  assert.deepEqual(s.own, [["intercept src/metrics/m.ts:10", 40]]);
  assert.deepEqual(Object.fromEntries(s.layers), {
    "prom-client": 40,
    "@grpc/grpc-js": 20,
    "GC": 20,
    "Deno node: compatibility (http2, net, streams, buffer)": 20,
  });
  assert.equal(s.self[0]![0], "observe prom-client/lib/histogram.js:10");
});
