/**
 * Entry point of device-api-server: parse the configuration, build the
 * parts, serve until a signal, stop gracefully.
 *
 * @module
 */
import { type Config, FLAGS, helpText, parseConfig, preflightConfig } from "./config/mod.ts";
import { GpuStore } from "./cache/mod.ts";
import { createLogger, type Logger } from "./logging/mod.ts";
import { DeviceApiServer, onShutdownSignals } from "./server/mod.ts";
import { VERSION, versionText } from "./version/mod.ts";

/** Exit status for invalid configuration, as Go's flag package uses. */
const EXIT_USAGE = 2;

async function main(args: string[]): Promise<number> {
  // Only the variables the server reads: the permission set allows no others.
  const env = Object.fromEntries(FLAGS.map((f) => [f.env, Deno.env.get(f.env)]));
  const parsed = parseConfig(args, env);
  if (!parsed.ok) {
    for (const error of parsed.errors) console.error(`error: ${error}`);
    console.error("Run 'device-api-server --help' for usage.");
    return EXIT_USAGE;
  }
  if (parsed.action === "help") {
    console.log(helpText());
    return 0;
  }
  if (parsed.action !== "run") {
    console.log(versionText());
    return 0;
  }
  const config = parsed.config;
  const preflight = await preflightConfig(config);
  if (preflight.length > 0) {
    for (const error of preflight) console.error(`error: ${error}`);
    return EXIT_USAGE;
  }
  let log = createLogger({ format: config.logFormat, verbosity: config.verbosity });
  if (config.nodeName) log = log.withValues("node", config.nodeName);
  return await serve(config, log);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function serve(config: Config, log: Logger): Promise<number> {
  const readiness = { shuttingDown: false };
  log.info(
    "Starting device-api-server",
    "version",
    VERSION,
    "deno",
    Deno.version.deno,
    "pid",
    Deno.pid,
  );
  const store = new GpuStore({
    limits: {
      maxGpus: config.maxGpus,
      maxConditions: config.maxConditions,
      maxObjectBytes: config.maxObjectBytes,
      maxWatchers: config.maxWatchers,
      watchQueueSize: config.watchQueueSize,
      watchHistorySize: config.watchHistorySize,
    },
    onEvict: (w) =>
      log.warning(
        "Evicted a watcher that fell behind",
        "queued",
        w.queued,
        "lastResourceVersion",
        w.lastVersion,
      ),
  });
  const server = new DeviceApiServer({
    store,
    logger: log,
    unixSocket: config.unixSocket,
    socketMode: config.socketMode,
    consumerSocket: config.consumerSocket,
    consumerSocketMode: config.consumerSocketMode,
    grpcAddress: config.grpcAddress,
    maxMessageBytes: config.maxMessageBytes,
  });
  // Signals first, so that a signal arriving during startup is not fatal.
  const { promise: stopped, resolve: done } = Promise.withResolvers<number>();
  const removeSignals = onShutdownSignals({
    graceful: async (signal) => {
      log.info(
        "Shutting down gracefully",
        "signal",
        signal,
        "delay",
        `${config.shutdownDelayMs}ms`,
        "timeout",
        `${config.shutdownTimeoutMs}ms`,
      );
      // Report not-ready first, so endpoints stop routing here before draining starts.
      readiness.shuttingDown = true;
      if (config.shutdownDelayMs > 0) await delay(config.shutdownDelayMs);
      const clean = await server.stop({ graceful: true, timeoutMs: config.shutdownTimeoutMs });
      log.info("Server stopped", "graceful", clean);
      done(0);
    },
    force: async (signal) => {
      log.warning("Second signal: forcing shutdown", "signal", signal);
      await server.stop({ graceful: false, timeoutMs: 0 });
      done(1);
    },
  });
  try {
    await server.start();
  } catch (err) {
    log.error(err, "Cannot start the server");
    removeSignals();
    return 1;
  }
  log.info("Server is ready", "resourceVersion", store.resourceVersion);

  const code = await stopped;
  removeSignals();
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
