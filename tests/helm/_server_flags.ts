/**
 * The server's command-line flags, as agreed in the flag reference the chart
 * renders against. Every flag also reads `DEVICE_API_<FLAG>` from the
 * environment, with flags taking precedence.
 *
 * @module
 */

/** Flag names without dashes. */
export const SERVER_FLAGS: readonly string[] = [
  "unix-socket",
  "socket-mode",
  "consumer-socket",
  "consumer-socket-mode",
  "grpc-address",
  "allow-insecure-non-loopback",
  "tls-cert-file",
  "tls-key-file",
  "tls-client-ca-file",
  "health-bind-address",
  "health-port",
  "metrics-bind-address",
  "metrics-port",
  "shutdown-timeout",
  "shutdown-delay",
  "log-format",
  "v",
  "node-name",
  "max-gpus",
  "max-conditions",
  "max-object-bytes",
  "max-message-bytes",
  "max-watchers",
  "watch-queue-size",
  "watch-history-size",
  "enable-nvml-provider",
  "nvml-driver-root",
  "nvml-library-path",
  "nvml-ignored-xids",
  "nvml-critical-xids",
  "readiness-min-gpus",
  "readiness-grace-period",
  // Restart continuity (issue 19): the chart sets DEVICE_API_STATE_DIR to `stateDir`.
  "state-dir",
];

/** Environment variable the server reads for `flag` (`--max-gpus` ↔ `DEVICE_API_MAX_GPUS`). */
export function envNameOf(flag: string): string {
  return `DEVICE_API_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Seconds in a Go duration such as `1m30s`, `500ms` or `0`. */
export function goDurationSeconds(duration: string): number {
  if (duration === "0") return 0;
  const units: Record<string, number> = {
    ns: 1e-9,
    us: 1e-6,
    "µs": 1e-6,
    ms: 1e-3,
    s: 1,
    m: 60,
    h: 3600,
  };
  let total = 0;
  let rest = duration;
  while (rest !== "") {
    const m = /^([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (m === null) throw new RangeError(`Cannot parse Go duration: ${duration}`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}
