/** Pure checks of bind hosts and HOST:PORT addresses (no name resolution). */

import { isIPv4, isIPv6 } from "node:net";
import { parseIntIn, ValueError } from "./_values.ts";

const HOST_REASON = "must be an IPv4 or IPv6 address or localhost, such as 127.0.0.1 or ::1";

/** The addresses a `localhost` listener binds: IPv4 and IPv6 loopback. */
export const LOCALHOST_ADDRESSES: readonly string[] = ["127.0.0.1", "::1"];

/** Returns the canonical form of a bind host: "localhost", dotted IPv4 or compressed IPv6. */
export function parseBindHost(raw: string): string {
  const host = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
  if (host.toLowerCase() === "localhost") return "localhost";
  if (isIPv4(host)) return host;
  if (isIPv6(host) && !host.includes("%")) {
    // The WHATWG URL serializer compresses IPv6 (0:0:0:0:0:0:0:1 becomes ::1).
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  }
  throw new ValueError(HOST_REASON);
}

/** Host and port of a TCP listener. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses HOST:PORT ([v6]:PORT for IPv6); port 0 asks the kernel for a free port. */
export function parseHostPort(raw: string): HostPort {
  const reason = "must be HOST:PORT with an IP address or localhost as HOST and a port " +
    "between 0 and 65535, such as 127.0.0.1:50051 or [::1]:50051";
  const colon = raw.lastIndexOf(":");
  if (colon < 0) throw new ValueError(reason);
  const hostPart = raw.slice(0, colon);
  const portPart = raw.slice(colon + 1);
  if (hostPart === "") {
    throw new ValueError(
      `${reason} (to listen on every interface write 0.0.0.0:${portPart} or [::]:${portPart})`,
    );
  }
  if (hostPart.includes(":") && !hostPart.startsWith("[")) {
    throw new ValueError(`${reason} (an IPv6 host needs brackets)`);
  }
  let host: string;
  let port: number;
  try {
    host = parseBindHost(hostPart);
    port = parseIntIn(portPart, 0, 65535);
  } catch (e) {
    if (e instanceof ValueError) throw new ValueError(reason);
    throw e;
  }
  return { host, port };
}

/** Writes a host and port back as an address grpc-js accepts. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Reports whether binding host keeps the listener reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  const v4 = ipv4Of(host);
  return v4 !== undefined && v4.startsWith("127.");
}

/** Reports whether two bind hosts can claim the same port (wildcards, localhost, v4-mapped). */
export function hostsOverlap(a: string, b: string): boolean {
  const left = boundAddresses(a);
  const right = boundAddresses(b);
  return left.some((x) =>
    right.some((y) =>
      x.family === y.family && (x.address === "*" || y.address === "*" || x.address === y.address)
    )
  );
}

interface Bound {
  readonly family: 4 | 6;
  readonly address: string;
}

/** Addresses a listener on host occupies; "*" is the wildcard of its family. */
function boundAddresses(host: string): Bound[] {
  if (host === "localhost") {
    return LOCALHOST_ADDRESSES.map((address) => ({ family: isIPv4(address) ? 4 : 6, address }));
  }
  // A Linux [::] listener is dual-stack: it takes the IPv4 port too.
  if (host === "::") return [{ family: 6, address: "*" }, { family: 4, address: "*" }];
  const v4 = ipv4Of(host);
  if (v4 !== undefined) return [{ family: 4, address: v4 === "0.0.0.0" ? "*" : v4 }];
  return [{ family: 6, address: host }];
}

/** The IPv4 address of a dotted or IPv4-mapped (::ffff:7f00:1) canonical host. */
function ipv4Of(host: string): string | undefined {
  if (isIPv4(host)) return host;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped === null) return undefined;
  const hi = parseInt(mapped[1] ?? "0", 16);
  const lo = parseInt(mapped[2] ?? "0", 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
