/**
 * The HTTP server of /metrics, on its own port so that scraping never
 * shares a listener with the gRPC API.
 *
 * @module
 */
import type { Registry } from "prom-client";

/** Path Prometheus scrapes. */
export const METRICS_PATH = "/metrics";

/** Options of {@linkcode MetricsHttpServer}. */
export interface MetricsHttpServerOptions {
  /** Host to bind: an IP address or localhost. */
  hostname: string;
  /** Port to bind; 0 asks the kernel for a free one. */
  port: number;
  registry: Registry;
}

/** Serves a registry on GET /metrics; every other path is 404. */
export class MetricsHttpServer {
  readonly #options: MetricsHttpServerOptions;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;

  /** Creates a server; nothing binds until {@linkcode MetricsHttpServer.start}. */
  constructor(options: MetricsHttpServerOptions) {
    this.#options = options;
  }

  /**
   * Binds and starts serving.
   *
   * @returns the address actually bound (the real port when asked for 0)
   * @throws {Error} when the server was already started or the address cannot be bound
   */
  async start(): Promise<Deno.NetAddr> {
    if (this.#server) throw new Error("Cannot start the metrics server: it was already started");
    const { hostname, port } = this.#options;
    const listening = Promise.withResolvers<Deno.NetAddr>();
    try {
      this.#server = Deno.serve({
        hostname,
        port,
        onListen: (addr) => listening.resolve(addr),
        onError: () => new Response("internal error\n", { status: 500 }),
      }, (request) => this.#handle(request));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`Cannot listen on ${hostname}:${port} for metrics: ${reason}`, {
        cause: err,
      });
    }
    return await listening.promise;
  }

  /** Stops accepting, finishes the scrapes in flight and closes the listener. */
  async stop(): Promise<void> {
    await this.#server?.shutdown();
  }

  /** Same as {@linkcode MetricsHttpServer.stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #handle(request: Request): Promise<Response> {
    if (new URL(request.url).pathname !== METRICS_PATH) {
      return new Response("not found\n", { status: 404 });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const registry = this.#options.registry;
    const body = await registry.metrics();
    return new Response(request.method === "HEAD" ? null : body, {
      headers: { "content-type": registry.contentType },
    });
  }
}
