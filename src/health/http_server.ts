/**
 * The HTTP health endpoints: `/healthz` and `/livez` (the process is alive
 * and its event loop answers) and `/readyz` (every readiness check passes;
 * `?verbose` lists them).
 *
 * @module
 */
import type { Readiness } from "./readiness.ts";

/** A running HTTP server. */
export interface HttpEndpoint {
  /** The port actually bound. */
  port: number;
  /** Stops accepting and closes connections. */
  stop(): Promise<void>;
}

/** Answers one health request; exported for tests without a socket. */
export function healthResponse(readiness: Readiness, url: URL): Response {
  const verbose = url.searchParams.has("verbose");
  switch (url.pathname) {
    case "/healthz":
    case "/livez":
      return text(200, verbose ? "[+]ping ok\nlivez check passed\n" : "ok");
    case "/readyz": {
      const { ready, results } = readiness.evaluate();
      if (verbose) {
        const lines = results.map((
          r,
        ) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.reason}`));
        lines.push(ready ? "readyz check passed" : "readyz check failed");
        return text(ready ? 200 : 503, lines.join("\n") + "\n");
      }
      if (ready) return text(200, "ok");
      const failed = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.reason}`);
      return text(503, `readyz check failed: ${failed.join("; ")}\n`);
    }
    default:
      return text(404, "404 page not found\n");
  }
}

/** Serves the health endpoints on `hostname:port` (port 0 picks a free one). */
export function serveHealth(
  options: { hostname: string; port: number; readiness: Readiness },
): Promise<HttpEndpoint> {
  return serveHttp(options, (req) => healthResponse(options.readiness, new URL(req.url)));
}

/** Serves a handler on `hostname:port`, resolving once bound. */
export function serveHttp(
  options: { hostname: string; port: number },
  handler: (req: Request) => Response | Promise<Response>,
): Promise<HttpEndpoint> {
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        onListen: (addr) => resolve({ port: addr.port, stop: () => server.shutdown() }),
        onError: () => text(500, "internal error\n"),
      }, handler);
    } catch (err) {
      reject(
        new Error(
          `Cannot listen on ${options.hostname}:${options.port}: ${(err as Error).message}`,
        ),
      );
    }
  });
}

function text(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
  });
}
