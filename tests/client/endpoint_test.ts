/**
 * parseEndpoint() and endpointFromEnv(): every accepted form of DEVICE_API_ENDPOINT maps to the
 * grpc-js target, and malformed values fail with a message that quotes them.
 */
import assert from "node:assert/strict";
import {
  DEFAULT_ENDPOINT,
  EndpointError,
  endpointFromEnv,
  parseEndpoint,
} from "../../src/client/mod.ts";

Deno.test("parseEndpoint() maps each accepted form to its grpc-js target and kind", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["unix:///var/run/device-api/device.sock", {
      kind: "unix",
      target: "unix:///var/run/device-api/device.sock",
      path: "/var/run/device-api/device.sock",
    }],
    ["unix:/tmp/d.sock", { kind: "unix", target: "unix:///tmp/d.sock", path: "/tmp/d.sock" }],
    ["unix:run/device.sock", {
      kind: "unix",
      target: "unix:run/device.sock",
      path: "run/device.sock",
    }],
    ["127.0.0.1:50051", { kind: "tcp", target: "127.0.0.1:50051", host: "127.0.0.1", port: 50051 }],
    ["localhost:1", { kind: "tcp", target: "localhost:1", host: "localhost", port: 1 }],
    ["device-api.example:65535", {
      kind: "tcp",
      target: "device-api.example:65535",
      host: "device-api.example",
      port: 65535,
    }],
    ["[::1]:50051", { kind: "tcp", target: "[::1]:50051", host: "::1", port: 50051 }],
  ];
  for (const [text, want] of cases) assert.deepEqual({ ...parseEndpoint(text) }, want, text);
});

Deno.test("parseEndpoint() throws an EndpointError naming the problem when the value is malformed", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    [" unix:///a", /white space/],
    ["unix:", /no socket path/],
    ["unix://", /absolute path/],
    ["unix://host/path", /not a host/],
    ["unix:///dir/", /directory/],
    ["unix:///a\0b", /NUL/],
    [`unix:///${"x".repeat(120)}`, /longer than 107 bytes/],
    ["http://127.0.0.1:80", /unsupported scheme/],
    ["dns:///localhost:50051", /unsupported scheme/],
    ["127.0.0.1", /no port/],
    [":50051", /no host/],
    ["::1:50051", /brackets/],
    ["[::1:50051", /closing bracket/],
    ["[127.0.0.1]:50051", /not an IPv6 address/],
    ["bad_host:1", /neither an IP address nor a host name/],
    ["-bad.example:1", /neither/],
    ["127.0.0.1:0", /port/],
    ["127.0.0.1:65536", /port/],
    ["127.0.0.1:+80", /port/],
    ["127.0.0.1:", /port/],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => parseEndpoint(text), (err: unknown) => {
      assert.ok(err instanceof EndpointError, text);
      assert.match(err.message, /^invalid endpoint "/, text);
      assert.match(err.message, why, text);
      return true;
    });
  }
});

Deno.test("endpointFromEnv() reads DEVICE_API_ENDPOINT and falls back when it is unset or empty", () => {
  const env = (value: string | undefined) => (name: string) =>
    name === "DEVICE_API_ENDPOINT" ? value : undefined;
  assert.equal(endpointFromEnv(env(undefined)).target, DEFAULT_ENDPOINT);
  assert.equal(endpointFromEnv(env("")).target, DEFAULT_ENDPOINT);
  assert.equal(endpointFromEnv(env(undefined), "127.0.0.1:9").target, "127.0.0.1:9");
  assert.equal(endpointFromEnv(env("unix:/x.sock")).target, "unix:///x.sock");
  assert.throws(() => endpointFromEnv(env("nope")), /^EndpointError: DEVICE_API_ENDPOINT: invalid/);
});
