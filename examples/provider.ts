/**
 * An example health provider: registers with a lease, writes one condition
 * per GPU (its own, leaving every other provider's conditions alone),
 * heartbeats within the lease, re-registers after a server restart, and on
 * Ctrl-C removes its conditions and unregisters.
 *
 * Run it against a server (see docs/api.md, "Provider protocol"):
 *
 * ```sh
 * deno run -A examples/provider.ts --endpoint unix:///var/run/device-api/device.sock \
 *   --name example-monitor --lease 15s
 * ```
 *
 * The "health check" here is a stand-in: every GPU passes. A real provider
 * would probe the hardware and set status "False" with a reason when a check
 * fails.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { status } from "@grpc/grpc-js";
import { defaultEndpoint, ProviderClient } from "../src/client/mod.ts";

/** The condition type this provider owns. */
const CONDITION = "ExampleHealthy";

/** Settings of {@linkcode runProvider}. */
interface ProviderSettings {
  endpoint: string;
  name: string;
  leaseMs: number;
}

/** Runs the provider until `signal` aborts, then cleans up after itself. */
async function runProvider(settings: ProviderSettings, signal: AbortSignal): Promise<void> {
  const client = new ProviderClient(settings.endpoint, { provider: settings.name });
  const report = (err: unknown) =>
    console.error(`provider ${settings.name}: ${err instanceof Error ? err.message : err}`);

  // Registers and (re)writes our condition on every GPU: the server does not
  // remember us across its restarts, and after a lease expiry our conditions
  // stay Unknown until we write them again.
  let expiries = 0; // lease expiries seen so far: a new one means our conditions went Unknown
  const publish = async () => {
    expiries = (await client.registerProvider({ leaseMs: settings.leaseMs })).leaseExpiries;
    const { items } = await client.list();
    for (const gpu of items) {
      await client.setConditions(gpu.metadata.name, {
        namespace: gpu.metadata.namespace,
        set: [{ type: CONDITION, status: "True", reason: "ChecksPassed", message: "all pass" }],
      });
    }
    console.log(`published ${CONDITION} on ${items.length} GPUs as ${settings.name}`);
  };

  try {
    await publish();
    // Heartbeat at a third of the lease, so that one lost heartbeat is not fatal.
    while (await sleep(settings.leaseMs / 3, signal)) {
      try {
        // A heartbeat after an expiry brings us back up, but our conditions stay
        // Unknown until we write them again.
        if ((await client.heartbeat()).leaseExpiries !== expiries) await publish();
      } catch (err) {
        // NOT_FOUND: the server restarted and forgot us. Anything else: keep trying.
        if ((err as { code?: number }).code === status.NOT_FOUND) await publish().catch(report);
        else report(err);
      }
    }
    // Leave no condition behind that nobody will keep up to date.
    const { items } = await client.list();
    for (const gpu of items) {
      await client.setConditions(gpu.metadata.name, {
        namespace: gpu.metadata.namespace,
        remove: [CONDITION],
      });
    }
    await client.unregisterProvider();
  } finally {
    client.close();
  }
}

/** Waits `ms`; false when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => resolve(true), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(false);
    }, { once: true });
  });
}

function parseSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(text);
  if (!match) throw new TypeError(`Cannot parse --lease: ${JSON.stringify(text)} is not like 15s`);
  return Math.round(Number(match[1]) * 1000);
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      // Default: DEVICE_API_ENDPOINT, else unix:///var/run/device-api/device.sock.
      endpoint: { type: "string" },
      name: { type: "string", default: "example-monitor" },
      lease: { type: "string", default: "15s" },
    },
  });
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  Deno.addSignalListener("SIGTERM", () => stop.abort());
  await runProvider(
    {
      endpoint: values.endpoint ?? defaultEndpoint().target,
      name: values.name,
      leaseMs: parseSeconds(values.lease),
    },
    stop.signal,
  );
  Deno.exit(0); // the signal listeners would keep the process alive
}
