/**
 * Starts the real server with its metrics port on a free loopback port and
 * scrapes it.
 *
 * @module
 */
import { type ServerProcess, type StartOptions, startServer } from "../_helpers/server_process.ts";
import { type Exposition, freePort, scrapeUrl } from "./_exposition.ts";

/** A running server and its /metrics URL. */
export interface MetricsServerProcess {
  server: ServerProcess;
  /** The port the server logged in "Serving metrics". */
  port: number;
  url: string;
  scrape(): Promise<Exposition>;
}

/** Starts the server with `--metrics-port` set to a free port and reads the port it logged. */
export async function startWithMetrics(options: StartOptions = {}): Promise<MetricsServerProcess> {
  const server = await startServer({
    ...options,
    args: [`--metrics-port=${freePort()}`, ...(options.args ?? [])],
  });
  const line = server.logs.find((l) => l.msg === "Serving metrics");
  if (!line || typeof line.port !== "number") {
    await server[Symbol.asyncDispose]();
    throw new Error("Cannot find the metrics port: no 'Serving metrics' log line with a port");
  }
  const url = `http://127.0.0.1:${line.port}/metrics`;
  return { server, port: line.port, url, scrape: () => scrapeUrl(url) };
}
