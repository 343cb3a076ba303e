/**
 * Run by compact_heap_test.ts in a process of its own, under the server's V8
 * flags: leaves ~30 MiB of garbage, compacts twice, and prints what it saw.
 *
 * @module
 */
import { runInNewContext } from "node:vm";
import { compactHeap } from "../../src/runtime/mod.ts";

let garbage: string[][] | null = [];
for (let i = 0; i < 3000; i++) garbage.push(Array.from({ length: 100 }, (_, j) => `${i}:${j}`));
garbage = null;
const first = compactHeap();
const second = compactHeap();
console.log(JSON.stringify({
  first,
  second,
  globalGc: typeof (globalThis as { gc?: unknown }).gc,
  gcInNewContext: runInNewContext("typeof gc"),
}));
