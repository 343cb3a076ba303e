/**
 * Entry point of device-api-server: an operator command goes to the CLI;
 * otherwise parse and check the configuration, then run the server
 * (src/app). Invalid configuration exits with status 2 before anything binds.
 *
 * @module
 */
import { helpText, parseConfig, preflightConfig, readConfigEnv } from "./config/mod.ts";
import { createLogger } from "./logging/mod.ts";
import { serve } from "./app/mod.ts";
import { versionText } from "./version/mod.ts";

/** Exit status for invalid configuration, as Go's flag package uses. */
const EXIT_USAGE = 2;

async function main(args: string[]): Promise<number> {
  // `device-api-server get gpus` and the other operator commands: the CLI parses its own flags.
  // It is loaded only when an argument could be its verb, so that a serving process never loads
  // the CLI and its packages (YAML among them): less memory and a faster start.
  if (args.some((a) => !a.startsWith("-"))) {
    const { isCliCommand, runCli } = await import("./cli/mod.ts");
    if (isCliCommand(args)) return await runCli(args);
  }
  const parsed = parseConfig(args, readConfigEnv());
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
  if (parsed.args.length > 0) { // not a command: the CLI says so
    return await (await import("./cli/mod.ts")).runCli(args);
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

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
