/**
 * Where the CLI connects and with which deadline, from its flags and the server's environment
 * variables. The environment is passed in; only a relative socket path reads the working
 * directory.
 *
 * @module
 */
import { isIP } from "node:net";
import {
  type FlagDefinition,
  formatDurationMs,
  parseDurationMs,
  serverFlag,
  ValueError,
} from "../config/mod.ts";
import { type Endpoint, ENDPOINT_ENV, EndpointError, parseEndpoint } from "../client/mod.ts";
import { DEFAULT_PROVIDER } from "./cli_flags.ts";
import { UsageError } from "./errors.ts";

/** How to reach the server. */
export interface Connection {
  /** grpc-js target: `unix:///path` or `HOST:PORT`. */
  readonly target: string;
  /** Deadline of each unary request in milliseconds. */
  readonly timeoutMs: number;
  /** Provider identity header value. */
  readonly provider: string;
  /** TLS files as given; absent for plaintext. */
  readonly tls?: TlsFiles;
}

/** The PEM files of a TLS connection. */
export interface TlsFiles {
  /** CA bundle that verifies the server. */
  readonly caFile: string;
  /** Client certificate and key for mutual TLS; "" for none. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Name checked against the server certificate; "" checks the target's host. */
  readonly serverName: string;
}

/** Connection flags as given on the command line; undefined when absent. */
export interface ConnectionFlags {
  readonly endpoint?: string;
  readonly "unix-socket"?: string;
  readonly "grpc-address"?: string;
  readonly timeout?: string;
  readonly provider?: string;
  readonly "tls-ca-file"?: string;
  readonly "tls-cert-file"?: string;
  readonly "tls-key-file"?: string;
  readonly "tls-server-name"?: string;
}

/** Reads an environment variable; undefined when unset. */
export type EnvLookup = (name: string) => string | undefined;

/**
 * Picks the server's address: `--endpoint` (or its aliases: `--grpc-address`, else
 * `--unix-socket`) when given, else `DEVICE_API_ENDPOINT`, else the Unix socket the server's
 * environment configures (`DEVICE_API_UNIX_SOCKET`, then the server's default), else, when the
 * socket is disabled (empty), its TCP listener.
 *
 * @param flags the connection flags given
 * @param env lookup of DEVICE_API_ENDPOINT, DEVICE_API_UNIX_SOCKET and DEVICE_API_GRPC_ADDRESS
 * @returns the target, deadline, identity and TLS files
 * @throws {UsageError} when a value is malformed or no address is left
 */
export function resolveConnection(flags: ConnectionFlags, env: EnvLookup): Connection {
  const timeoutMs = flags.timeout === undefined ? 10_000 : parseTimeout(flags.timeout);
  const provider = flags.provider ?? DEFAULT_PROVIDER;
  const tls = tlsOf(flags);
  const base = { timeoutMs, provider };
  const withTls = (target: string): Connection => {
    if (tls === undefined) return { ...base, target };
    if (flags["tls-server-name"] === "") {
      throw new UsageError('invalid value "" for flag --tls-server-name: must be a host name');
    }
    const host = target.slice(0, target.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1");
    const serverName = flags["tls-server-name"] ?? (isIP(host) ? "localhost" : "");
    return { ...base, target, tls: { ...tls, serverName } };
  };
  const unix = (target: string): Connection => {
    if (tls !== undefined) {
      throw new UsageError(
        "the --tls-* flags need a TCP endpoint (--endpoint HOST:PORT or --grpc-address): the " +
          "Unix socket is plaintext",
      );
    }
    return { ...base, target };
  };
  const alias = flags["unix-socket"] !== undefined || flags["grpc-address"] !== undefined;
  if (flags.endpoint !== undefined && alias) {
    throw new UsageError("--endpoint replaces --unix-socket and --grpc-address: give one of them");
  }
  // The consumers' variable comes before the server's own, unless an alias flag was given.
  const fromEnv = alias ? undefined : env(ENDPOINT_ENV) || undefined;
  const raw = flags.endpoint ?? fromEnv;
  if (raw !== undefined) {
    const endpoint = endpointOf(raw, flags.endpoint !== undefined);
    return endpoint.kind === "unix" ? unix(endpoint.target) : withTls(endpoint.target);
  }
  if (flags["grpc-address"] !== undefined) {
    return withTls(tcpTarget(flags["grpc-address"], "flag --grpc-address"));
  }
  const socketFlag = serverFlag("unix-socket");
  const socketRaw = flags["unix-socket"] ?? env(socketFlag.env) ?? socketFlag.default;
  const socketWhere = flags["unix-socket"] !== undefined ? "flag --unix-socket" : socketFlag.env;
  if (socketRaw !== "") {
    const { unixSocket } = apply(socketFlag, socketRaw, socketWhere);
    return unix(`unix://${unixSocket}`);
  }
  const tcpFlag = serverFlag("grpc-address");
  const tcpRaw = env(tcpFlag.env) ?? tcpFlag.default;
  if (tcpRaw === "") {
    throw new UsageError(
      "no server address: the Unix socket and the TCP listener are both disabled in the " +
        "environment; give --endpoint",
    );
  }
  return withTls(tcpTarget(tcpRaw, tcpFlag.env));
}

function tlsOf(flags: ConnectionFlags): Omit<TlsFiles, "serverName"> | undefined {
  const path = (name: "tls-ca-file" | "tls-cert-file" | "tls-key-file"): string => {
    const raw = flags[name];
    if (raw === undefined) return "";
    if (raw === "") throw new UsageError(`invalid value "" for flag --${name}: must be a file`);
    return raw;
  };
  const [caFile, certFile, keyFile] = [
    path("tls-ca-file"),
    path("tls-cert-file"),
    path("tls-key-file"),
  ];
  if ((certFile === "") !== (keyFile === "")) {
    throw new UsageError("--tls-cert-file and --tls-key-file go together");
  }
  if (caFile === "") {
    if (flags["tls-server-name"] !== undefined) {
      throw new UsageError("--tls-server-name needs --tls-ca-file");
    }
    if (certFile === "") return undefined;
    throw new UsageError("--tls-cert-file needs --tls-ca-file, which verifies the server");
  }
  return { caFile, certFile, keyFile };
}

// The consumers' one endpoint parser, so the CLI accepts exactly what the clients accept.
function endpointOf(raw: string, fromFlag: boolean): Endpoint {
  try {
    return parseEndpoint(raw);
  } catch (err) {
    if (!(err instanceof EndpointError)) throw err;
    throw new UsageError(`${fromFlag ? "flag --endpoint" : ENDPOINT_ENV}: ${err.message}`);
  }
}

function tcpTarget(raw: string, where: string): string {
  const { grpcAddress } = apply(serverFlag("grpc-address"), raw, where);
  if (grpcAddress === undefined || grpcAddress === "" || grpcAddress.endsWith(":0")) {
    throw new UsageError(
      `invalid value ${JSON.stringify(raw)} for ${where}: must be HOST:PORT of a listening ` +
        "server, such as 127.0.0.1:50051",
    );
  }
  return grpcAddress;
}

// The server's own parser checks the value, so both accept exactly the same addresses.
function apply(flag: FlagDefinition, raw: string, where: string) {
  try {
    return flag.apply(raw, { cwd: () => Deno.cwd() });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new UsageError(`invalid value ${JSON.stringify(raw)} for ${where}: ${reason}`);
  }
}

/** The longest --timeout: a request that has not answered in a day will not. */
const MAX_TIMEOUT_MS = 24 * 3_600_000;

/**
 * Parses `--timeout` as a Go duration (`500ms`, `10s`, `1m30s`), between 1ms and 24h.
 *
 * @param raw the flag's value
 * @returns milliseconds, rounded to whole ones
 * @throws {UsageError} for anything else
 */
export function parseTimeout(raw: string): number {
  let ms = 0;
  try {
    ms = Math.round(parseDurationMs(raw, MAX_TIMEOUT_MS));
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
  }
  if (ms < 1) {
    throw new UsageError(
      `invalid value ${JSON.stringify(raw)} for flag --timeout: must be a duration between 1ms ` +
        `and ${formatDurationMs(MAX_TIMEOUT_MS)}, such as 500ms, 10s or 1m`,
    );
  }
  return ms;
}
