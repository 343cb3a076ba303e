/**
 * Runs the notifier as main.ts does (environment read through readNotifyEnv, JSON logs on
 * stderr), so a test can run it under a chosen set of Deno flags. With `--no-stop`, it leaves the
 * watchdog running and relies on the timer being unref'd to exit.
 *
 * @module
 */
import { createLogger } from "../../src/logging/mod.ts";
import { createNotifier, readNotifyEnv } from "../../src/systemd/mod.ts";

const log = createLogger({ format: "json", verbosity: 2 });
const notifier = createNotifier(readNotifyEnv(), log);
await notifier.ready("child ready");
notifier.startWatchdog();
await notifier.status("child status");
await notifier.stopping();
if (!Deno.args.includes("--no-stop")) notifier.stop();
console.log(JSON.stringify({ enabled: notifier.enabled }));
