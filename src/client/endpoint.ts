/**
 * The one endpoint setting of Device API consumers: `DEVICE_API_ENDPOINT`, parsed into a
 * grpc-js target. Pure: the environment is passed in.
 *
 * Accepted forms: `unix:///abs/path`, `unix:/abs/path`, `unix:relative/path` (relative to the
 * working directory), `host:port` and `[ipv6]:port`.
 *
 * @module
 */
import { isIPv4, isIPv6 } from "node:net";

/** Environment variable that names the server's endpoint for every consumer. */
export const ENDPOINT_ENV = "DEVICE_API_ENDPOINT";

/** Endpoint used when `DEVICE_API_ENDPOINT` is unset or empty: the server's default socket. */
export const DEFAULT_ENDPOINT = "unix:///var/run/device-api/device.sock";

/** A parsed endpoint. */
export interface Endpoint {
  /** `unix` for a Unix socket, `tcp` for host and port. */
  readonly kind: "unix" | "tcp";
  /** The target to hand to grpc-js (`unix:///abs`, `unix:rel`, `host:port`, `[::1]:port`). */
  readonly target: string;
  /** Socket path (kind `unix`); relative paths stay relative. */
  readonly path?: string;
  /** Host without brackets (kind `tcp`). */
  readonly host?: string;
  /** Port between 1 and 65535 (kind `tcp`). */
  readonly port?: number;
}

/** A malformed endpoint value; the message quotes it and says what is accepted. */
export class EndpointError extends Error {
  override name = "EndpointError";
}

// sun_path holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH_BYTES = 107;
const FORMS = "use unix:///absolute/path, unix:relative/path, HOST:PORT or [IPV6]:PORT";

/**
 * Parses an endpoint value such as `unix:///var/run/device-api/device.sock` or
 * `127.0.0.1:50051`.
 *
 * @throws {EndpointError} when the value is malformed
 */
export function parseEndpoint(text: string): Endpoint {
  const fail = (why: string): never => {
    throw new EndpointError(`invalid endpoint ${JSON.stringify(text)}: ${why}`);
  };
  if (text === "") fail(`empty; ${FORMS}`);
  if (text.trim() !== text) fail("leading or trailing white space");
  if (text.startsWith("unix:")) return parseUnix(text.slice("unix:".length), fail);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
    fail(`unsupported scheme; ${FORMS}`);
  }
  return parseTcp(text, fail);
}

/**
 * Reads `DEVICE_API_ENDPOINT` through `env`; unset or empty gives `fallback`.
 *
 * @throws {EndpointError} naming the variable when its value is malformed
 */
export function endpointFromEnv(
  env: (name: string) => string | undefined,
  fallback: string = DEFAULT_ENDPOINT,
): Endpoint {
  const raw = env(ENDPOINT_ENV);
  if (raw === undefined || raw === "") return parseEndpoint(fallback);
  try {
    return parseEndpoint(raw);
  } catch (err) {
    if (err instanceof EndpointError) throw new EndpointError(`${ENDPOINT_ENV}: ${err.message}`);
    throw err;
  }
}

/** Reads `DEVICE_API_ENDPOINT` from the process environment (needs `--allow-env`). */
export function defaultEndpoint(fallback: string = DEFAULT_ENDPOINT): Endpoint {
  return endpointFromEnv((name) => Deno.env.get(name), fallback);
}

function parseUnix(rest: string, fail: (why: string) => never): Endpoint {
  let path: string;
  if (rest.startsWith("//")) {
    // unix://AUTHORITY/path: grpc-js only accepts an empty authority.
    const afterSlashes = rest.slice(2);
    if (!afterSlashes.startsWith("/")) {
      fail("unix:// must be followed by an absolute path (unix:///path), not a host");
    }
    path = afterSlashes;
  } else {
    path = rest;
  }
  if (path === "") fail(`no socket path; ${FORMS}`);
  if (path.includes("\0")) fail("the socket path contains a NUL byte");
  if (path.endsWith("/")) fail("the socket path names a directory");
  if (new TextEncoder().encode(path).length > MAX_SOCKET_PATH_BYTES) {
    fail(`the socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
  }
  const target = path.startsWith("/") ? `unix://${path}` : `unix:${path}`;
  return { kind: "unix", target, path };
}

function parseTcp(text: string, fail: (why: string) => never): Endpoint {
  const colon = text.lastIndexOf(":");
  if (colon < 0) fail(`no port; ${FORMS}`);
  const hostPart = text.slice(0, colon);
  const portPart = text.slice(colon + 1);
  let host: string;
  if (hostPart.startsWith("[")) {
    if (!hostPart.endsWith("]")) fail("an IPv6 host needs a closing bracket");
    host = hostPart.slice(1, -1);
    if (!isIPv6(host)) fail(`${JSON.stringify(host)} is not an IPv6 address`);
  } else {
    host = hostPart;
    if (host === "") fail(`no host; ${FORMS}`);
    if (host.includes(":")) fail("an IPv6 host needs brackets, such as [::1]:50051");
    if (!isIPv4(host) && !isHostName(host)) {
      fail(`${JSON.stringify(host)} is neither an IP address nor a host name`);
    }
  }
  if (!/^[0-9]{1,5}$/.test(portPart)) fail("the port must be a number between 1 and 65535");
  const port = Number(portPart);
  if (port < 1 || port > 65535) fail("the port must be a number between 1 and 65535");
  return {
    kind: "tcp",
    target: hostPart.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`,
    host,
    port,
  };
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
function isHostName(host: string): boolean {
  if (host.length > 253) return false;
  return host.split(".").every((label) =>
    label.length >= 1 && label.length <= 63 && /^[A-Za-z0-9-]+$/.test(label) &&
    !label.startsWith("-") && !label.endsWith("-")
  );
}
