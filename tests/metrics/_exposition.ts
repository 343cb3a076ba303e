/**
 * Parses the Prometheus text exposition format, so tests can assert on
 * samples by name and labels, and helpers to scrape and wait for a value.
 *
 * @module
 */
import type { Registry } from "prom-client";

/** One sample line: name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition: samples and the declared type of each metric family. */
export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  /** Value of the one sample matching name and every given label; throws unless exactly one. */
  value(name: string, labels?: Record<string, string>): number;
  /** Samples of a name whose labels include the given ones. */
  find(name: string, labels?: Record<string, string>): Sample[];
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/** Parses exposition text; throws on a line it does not understand. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`Cannot parse exposition line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    LABEL_RE.lastIndex = 0;
    let consumed = 0;
    for (let l = LABEL_RE.exec(body); l; l = LABEL_RE.exec(body)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
      consumed = LABEL_RE.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`Cannot parse labels of line: ${line}`);
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    );
  return {
    samples,
    types,
    find,
    value(name, labels = {}) {
      const found = find(name, labels);
      if (found.length !== 1) {
        throw new Error(
          `Expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}: ` +
            JSON.stringify(found),
        );
      }
      return found[0]!.value;
    },
  };
}

/** Parses what a registry exports now. */
export async function scrapeRegistry(registry: Registry): Promise<Exposition> {
  return parseExposition(await registry.metrics());
}

/** GETs a /metrics URL and parses it; throws on a non-200 answer. */
export async function scrapeUrl(url: string): Promise<Exposition> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`Cannot scrape ${url}: HTTP ${res.status}: ${text}`);
  return parseExposition(text);
}

/** Retries `check` until it stops throwing or `timeoutMs` passes; then throws its last error. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
