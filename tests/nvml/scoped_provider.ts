/**
 * Runs the NVML provider under the permissions a test grants, printing one JSON line per
 * write; exits once some GPU's NVMLReady turns False. Used by permission_test.ts.
 *
 * Usage: deno run --allow-ffi=<lib dir> --allow-read=<driver root> scoped_provider.ts <driver root>
 *
 * @module
 */

import { startNvmlProvider } from "../../src/nvml/mod.ts";

const driverRoot = Deno.args[0] ?? "/";
const print = (value: unknown) => console.log(JSON.stringify(value));
let sawFalse: () => void = () => {};
const unhealthy = new Promise<void>((resolve) => sawFalse = resolve);

const provider = startNvmlProvider({
  driverRoot,
  waitTimeoutMs: 50,
  writer: {
    ensureGpu(name, spec) {
      print({ ensureGpu: name, spec });
      return Promise.resolve();
    },
    writeStatus(name, conditions, action) {
      print({ writeStatus: name, conditions, action });
      if (conditions.some((c) => c.status === "False")) sawFalse();
      return Promise.resolve(true);
    },
  },
  logger: {
    info: (msg, ...kv) => console.error(msg, ...kv),
    error: (err, msg, ...kv) => console.error(msg, String(err), ...kv),
    V: () => ({ info: () => {} }),
  },
});
await provider.started;
print({ up: provider.up, reason: provider.reason, devices: provider.devices });
if (provider.up) await unhealthy;
await provider.stop();
print({ stopped: true });
