import assert from "node:assert/strict";
import { isCliCommand } from "../../src/cli/mod.ts";
import { parseCliArgs, type ParseCliResult } from "../../src/cli/args.ts";
import { parseTimeout, resolveConnection } from "../../src/cli/connection.ts";

const NO_ENV = () => undefined;

function parse(args: string[], env: Record<string, string> = {}): ParseCliResult {
  return parseCliArgs(args, (name) => env[name]);
}

function command(args: string[]) {
  const result = parse(args);
  assert.ok(result.ok && "connection" in result, JSON.stringify(result));
  return result.command;
}

function usageError(args: string[]): string {
  const result = parse(args);
  assert.ok(!result.ok, `expected a usage error for ${args.join(" ")}`);
  return result.error;
}

Deno.test("isCliCommand() finds the verb after flags and their values", () => {
  assert.equal(isCliCommand(["get", "gpus"]), true);
  assert.equal(isCliCommand(["--unix-socket", "/tmp/d.sock", "get", "gpus"]), true);
  assert.equal(isCliCommand(["-o", "json", "watch", "gpus"]), true);
  assert.equal(isCliCommand(["-v", "2", "describe"]), true);
  assert.equal(isCliCommand(["--help"]), false);
  assert.equal(isCliCommand(["--v", "2"]), false);
  assert.equal(isCliCommand(["--enable-nvml-provider", "false"]), false);
  assert.equal(isCliCommand(["--unix-socket", "get"]), false);
  assert.equal(isCliCommand([]), false);
});

Deno.test("parseCliArgs() reads get with its output, namespace and selector", () => {
  assert.deepEqual(command(["get", "gpus", "-o", "wide", "-l", "zone=a"]), {
    verb: "get",
    output: "wide",
    scope: { namespace: "default", allNamespaces: false, selector: "zone=a" },
    noHeaders: false,
    watch: false,
  });
  assert.deepEqual(command(["get", "gpu", "gpu-0", "--namespace=lab", "-ojson"]), {
    verb: "get",
    name: "gpu-0",
    output: "json",
    scope: { namespace: "lab", allNamespaces: false, selector: "" },
    noHeaders: false,
    watch: false,
  });
  assert.deepEqual(command(["get", "gpus", "-A"]), {
    verb: "get",
    output: "table",
    scope: { namespace: "", allNamespaces: true, selector: "" },
    noHeaders: false,
    watch: false,
  });
});

Deno.test("parseCliArgs() reads create, set, clear, delete and watch", () => {
  assert.deepEqual(
    command([
      "create",
      "gpu",
      "gpu-0",
      "--uuid",
      "GPU-1",
      "--label",
      "a=b",
      "--label=c=d=e",
      "--index",
      "3",
    ]),
    {
      verb: "create",
      name: "gpu-0",
      namespace: "default",
      uuid: "GPU-1",
      labels: { a: "b", c: "d=e" },
      productName: "",
      pciBusId: "",
      index: 3,
      output: "text",
    },
  );
  assert.deepEqual(
    command(["set", "condition", "gpu-0", "Maintenance", "False", "--reason", "Drained"]),
    {
      verb: "set",
      gpu: "gpu-0",
      namespace: "default",
      type: "Maintenance",
      status: "False",
      reason: "Drained",
      message: "",
      output: "text",
    },
  );
  assert.deepEqual(command(["clear", "condition", "gpu-0", "NVMLReady", "-o", "name"]), {
    verb: "clear",
    gpu: "gpu-0",
    namespace: "default",
    type: "NVMLReady",
    output: "name",
  });
  assert.deepEqual(command(["delete", "gpu", "gpu-0", "-n", "lab"]), {
    verb: "delete",
    name: "gpu-0",
    namespace: "lab",
    output: "text",
  });
  assert.deepEqual(command(["watch", "gpus", "--resource-version", "42", "-o", "json"]), {
    verb: "watch",
    output: "json",
    scope: { namespace: "default", allNamespaces: false, selector: "" },
    resourceVersion: "42",
  });
});

Deno.test("parseCliArgs() reads a flag the same way in each of the server's syntaxes", () => {
  const want = command(["get", "gpus", "--output", "json"]);
  for (
    const args of [["-output", "json"], ["--output=json"], ["-output=json"], ["-o", "json"], [
      "-o=json",
    ], ["-ojson"]]
  ) {
    assert.deepEqual(command(["get", "gpus", ...args]), want, args.join(" "));
    assert.deepEqual(command([...args, "get", "gpus"]), want, args.join(" "));
  }
  assert.deepEqual(command(["get", "gpus", "-w", "--no-headers=true"]), {
    ...command(["get", "gpus"]),
    watch: true,
    noHeaders: true,
  });
});

Deno.test("parseCliArgs() reads version and completion, which need no server", () => {
  assert.deepEqual(parse(["version", "--client"]), {
    ok: true,
    command: { verb: "version", client: true, output: "text" },
  });
  assert.deepEqual(command(["version", "-o", "json"]), {
    verb: "version",
    client: false,
    output: "json",
  });
  assert.deepEqual(parse(["completion", "fish"]), {
    ok: true,
    command: { verb: "completion", shell: "fish" },
  });
});

Deno.test("parseCliArgs() returns help for help, help VERB and VERB --help", () => {
  assert.deepEqual(parse(["help"]), { ok: true, command: { verb: "help", topic: undefined } });
  assert.deepEqual(parse(["help", "set"]), { ok: true, command: { verb: "help", topic: "set" } });
  assert.deepEqual(parse(["get", "-h"]), { ok: true, command: { verb: "help", topic: "get" } });
  assert.equal(usageError(["help", "frob"]), 'unknown help topic "frob"');
});

Deno.test("parseCliArgs() names the mistake of a bad command line", () => {
  const cases: [string[], string][] = [
    [["frob"], 'unknown command "frob"'],
    [["get"], "get needs a resource type: gpus"],
    [["get", "pods"], 'unknown resource type "pods" for get: use gpus'],
    [["get", "gpus", "--bogus"], "unknown flag: --bogus"],
    [["get", "gpus", "-o"], "flag needs an argument: --output"],
    [
      ["get", "gpus", "-o", "xml"],
      'invalid value "xml" for flag --output: must be one of ' +
      "wide, json, yaml, name, jsonpath=TEMPLATE, custom-columns=SPEC",
    ],
    [["get", "gpus", "--uuid", "x"], "flag --uuid does not apply to get"],
    [
      ["get", "gpus", "-o", "jsonpath={.items[0"],
      'invalid value "jsonpath={.items[0" for flag --output: Cannot parse JSONPath template: ' +
      'expected "]" at offset 9, found the end',
    ],
    [
      ["get", "gpus", "-o", "custom-columns=NAME"],
      'invalid value "custom-columns=NAME" for flag --output: Cannot read column "NAME": ' +
      "must be HEADER:PATH",
    ],
    [
      ["get", "gpus", "--no-headers=maybe"],
      'invalid value "maybe" for flag --no-headers: must be true or false',
    ],
    [["get", "gpus", "-w", "false"], "flag --watch is boolean: write --watch=false"],
    [["get", "providers", "-w"], "get providers takes no --watch"],
    [
      ["get", "providers", "-o", "jsonpath={.x}"],
      'invalid value "jsonpath={.x}" for flag --output: get providers prints no templates',
    ],
    [["version", "x"], "version takes no arguments"],
    [
      ["version", "-o", "name"],
      'invalid value "name" for flag --output: must be one of json, yaml',
    ],
    [["completion"], "completion takes one shell: bash, zsh, fish"],
    [["completion", "tcsh"], "completion takes one shell: bash, zsh, fish"],
    [["get", "gpu", "a", "b"], "get takes at most one gpu name"],
    [
      ["get", "gpu", "a", "-l", "x=y"],
      "a gpu name cannot be combined with --all-namespaces " +
      "or --selector",
    ],
    [["get", "gpus", "-A", "-n", "x"], "--namespace and --all-namespaces cannot be used together"],
    [
      ["watch", "gpus", "-o", "yaml"],
      'invalid value "yaml" for flag --output: must be one of json',
    ],
    [["watch", "gpu", "gpu-0"], "watch takes no gpu name: use --selector"],
    [
      ["watch", "gpus", "--resource-version", "x1"],
      'invalid value "x1" for flag ' +
      "--resource-version: must be a resource version number",
    ],
    [["create", "gpu", "gpu-0"], "create gpu needs --uuid"],
    [["create", "gpu", "--uuid", "U"], "create gpu takes exactly one NAME"],
    [
      ["create", "gpu", "g", "--uuid", "U", "--label", "novalue"],
      'invalid value "novalue" for ' +
      "flag --label: must be KEY=VALUE",
    ],
    [
      ["create", "gpu", "g", "--uuid", "U", "--label", "a=1", "--label", "a=2"],
      "invalid value " +
      '"a=2" for flag --label: label "a" given twice',
    ],
    [
      ["create", "gpu", "g", "--uuid", "U", "--index", "-1"],
      'invalid value "-1" for flag --index: must be an integer between 0 and 4294967295',
    ],
    [
      ["create", "gpu", "g", "--uuid", "U", "--index", "1.5"],
      'invalid value "1.5" for flag ' +
      "--index: must be an integer between 0 and 4294967295",
    ],
    [["set", "condition", "gpu-0", "Ready"], "set condition takes GPU TYPE STATUS"],
    [
      ["set", "condition", "gpu-0", "Ready", "true"],
      'invalid condition status "true": must be ' +
      "True, False or Unknown",
    ],
    [
      ["set", "gpu", "gpu-0", "Ready", "True"],
      'unknown resource type "gpu" for set: use ' +
      "condition",
    ],
    [["clear", "condition", "gpu-0"], "clear condition takes GPU TYPE"],
    [
      ["delete", "gpu", "gpu-0", "-o", "json"],
      'invalid value "json" for flag --output: must be ' +
      "one of name",
    ],
    [["describe", "gpu", "gpu-0", "-o", "json"], "flag --output does not apply to describe"],
    [
      ["get", "gpus", "--timeout", "10"],
      'invalid value "10" for flag --timeout: must be a ' +
      "duration between 1ms and 24h, such as 500ms, 10s or 1m",
    ],
  ];
  for (const [args, want] of cases) assert.equal(usageError(args), want, args.join(" "));
});

Deno.test("parseCliArgs() reports the verb of a usage error so its usage can be shown", () => {
  assert.deepEqual(parse(["get", "--bogus"]), {
    ok: false,
    verb: "get",
    error: "unknown flag: --bogus",
  });
  assert.deepEqual(parse(["frob"]), {
    ok: false,
    verb: undefined,
    error: 'unknown command "frob"',
  });
});

Deno.test("resolveConnection() uses the server's default socket when nothing is set", () => {
  assert.deepEqual(resolveConnection({}, NO_ENV), {
    target: "unix:///var/run/device-api/device.sock",
    timeoutMs: 10_000,
    provider: "device-api-cli",
  });
});

Deno.test("resolveConnection() prefers the flag, then DEVICE_API_UNIX_SOCKET", () => {
  const env = (name: string) => name === "DEVICE_API_UNIX_SOCKET" ? "/run/env.sock" : undefined;
  assert.equal(resolveConnection({}, env).target, "unix:///run/env.sock");
  assert.equal(
    resolveConnection({ "unix-socket": "/run/flag.sock" }, env).target,
    "unix:///run/flag.sock",
  );
});

Deno.test("resolveConnection() uses --grpc-address instead of the socket when given", () => {
  const connection = resolveConnection(
    {
      "unix-socket": "/run/flag.sock",
      "grpc-address": "[::1]:50051",
      timeout: "2s",
      provider: "p",
    },
    NO_ENV,
  );
  assert.deepEqual(connection, { target: "[::1]:50051", timeoutMs: 2000, provider: "p" });
});

Deno.test("resolveConnection() falls back to the server's TCP listener when the socket is off", () => {
  const env: Record<string, string> = { DEVICE_API_UNIX_SOCKET: "" };
  assert.equal(resolveConnection({}, (n) => env[n]).target, "127.0.0.1:50051");
  env.DEVICE_API_GRPC_ADDRESS = "127.0.0.1:6000";
  assert.equal(resolveConnection({}, (n) => env[n]).target, "127.0.0.1:6000");
  env.DEVICE_API_GRPC_ADDRESS = "";
  assert.throws(() => resolveConnection({}, (n) => env[n]), /no server address/);
});

Deno.test("resolveConnection() rejects addresses the server would reject, and port 0", () => {
  assert.throws(
    () => resolveConnection({ "grpc-address": "example.com:1" }, NO_ENV),
    /^UsageError: invalid value "example.com:1" for flag --grpc-address: must be HOST:PORT/,
  );
  assert.throws(
    () => resolveConnection({ "grpc-address": "127.0.0.1:0" }, NO_ENV),
    /for flag --grpc-address: must be HOST:PORT of a listening server/,
  );
  assert.throws(
    () => resolveConnection({}, (n) => (n === "DEVICE_API_UNIX_SOCKET" ? "unix:///x" : undefined)),
    /invalid value "unix:\/\/\/x" for DEVICE_API_UNIX_SOCKET: must be a file path/,
  );
});

Deno.test("parseTimeout() reads Go durations between 1ms and 24h", () => {
  assert.equal(parseTimeout("500ms"), 500);
  assert.equal(parseTimeout("1m30s"), 90_000);
  assert.equal(parseTimeout("1.5s"), 1500);
  assert.equal(parseTimeout("24h"), 86_400_000);
  for (const bad of ["0s", "25h", "10", "s", "-1s", ""]) {
    assert.throws(() => parseTimeout(bad), /for flag --timeout/, bad);
  }
});

Deno.test("resolveConnection() takes TLS files for --grpc-address only", () => {
  const tcp = { "grpc-address": "127.0.0.1:50051" };
  assert.deepEqual(resolveConnection({ ...tcp, "tls-ca-file": "/etc/ca.crt" }, NO_ENV).tls, {
    caFile: "/etc/ca.crt",
    certFile: "",
    keyFile: "",
    serverName: "localhost",
  });
  const named = { "grpc-address": "localhost:50051", "tls-ca-file": "/etc/ca.crt" };
  assert.equal(resolveConnection(named, NO_ENV).tls?.serverName, "");
  assert.equal(
    resolveConnection({ ...named, "tls-server-name": "node-1.example" }, NO_ENV).tls?.serverName,
    "node-1.example",
  );
  assert.deepEqual(
    resolveConnection(
      { ...tcp, "tls-ca-file": "/p/ca", "tls-cert-file": "/p/c", "tls-key-file": "/p/k" },
      NO_ENV,
    ).tls,
    { caFile: "/p/ca", certFile: "/p/c", keyFile: "/p/k", serverName: "localhost" },
  );
  assert.equal(resolveConnection(tcp, NO_ENV).tls, undefined);
  const cases: [Record<string, string>, RegExp][] = [
    [{ "tls-ca-file": "/p/ca" }, /the --tls-\* flags need a TCP endpoint/],
    [
      { ...tcp, "tls-cert-file": "/p/c", "tls-key-file": "/p/k" },
      /--tls-cert-file needs --tls-ca-file/,
    ],
    [
      { ...tcp, "tls-ca-file": "/p/ca", "tls-cert-file": "/p/c" },
      /--tls-cert-file and --tls-key-file go together/,
    ],
    [{ ...tcp, "tls-ca-file": "" }, /invalid value "" for flag --tls-ca-file/],
    [{ ...tcp, "tls-server-name": "x" }, /--tls-server-name needs --tls-ca-file/],
  ];
  for (const [flags, error] of cases) assert.throws(() => resolveConnection(flags, NO_ENV), error);
});

Deno.test("resolveConnection() takes --endpoint, then DEVICE_API_ENDPOINT, before the server's variables", () => {
  const env: Record<string, string> = {
    DEVICE_API_ENDPOINT: "unix:///run/env.sock",
    DEVICE_API_UNIX_SOCKET: "/run/server.sock",
  };
  const lookup = (name: string) => env[name];
  assert.equal(resolveConnection({}, lookup).target, "unix:///run/env.sock");
  assert.equal(resolveConnection({ endpoint: "127.0.0.1:6000" }, lookup).target, "127.0.0.1:6000");
  assert.equal(resolveConnection({ endpoint: "unix:rel.sock" }, lookup).target, "unix:rel.sock");
  assert.equal(resolveConnection({ endpoint: "[::1]:7" }, lookup).target, "[::1]:7");
  // The old flags are aliases: given, they win over the environment as --endpoint would.
  assert.equal(
    resolveConnection({ "unix-socket": "/run/f.sock" }, lookup).target,
    "unix:///run/f.sock",
  );
  assert.equal(resolveConnection({ "grpc-address": "127.0.0.1:1" }, lookup).target, "127.0.0.1:1");
  env.DEVICE_API_ENDPOINT = "";
  assert.equal(resolveConnection({}, lookup).target, "unix:///run/server.sock");
  const tls = resolveConnection({ endpoint: "node-1.example:50051", "tls-ca-file": "/ca" }, NO_ENV);
  assert.deepEqual(tls.tls, { caFile: "/ca", certFile: "", keyFile: "", serverName: "" });
});

Deno.test("resolveConnection() names the flag or variable of a bad endpoint", () => {
  const cases: [Record<string, string>, Record<string, string>, RegExp][] = [
    [
      { endpoint: "unix://host/x" },
      {},
      /^UsageError: flag --endpoint: invalid endpoint "unix:\/\/host\/x": unix:\/\/ must be followed by an absolute path/,
    ],
    [
      {},
      { DEVICE_API_ENDPOINT: "http://x:1" },
      /^UsageError: DEVICE_API_ENDPOINT: invalid endpoint "http:\/\/x:1": unsupported scheme/,
    ],
    [{ endpoint: "" }, {}, /^UsageError: flag --endpoint: invalid endpoint "": empty/],
    [
      { endpoint: "unix:///a", "unix-socket": "/b" },
      {},
      /--endpoint replaces --unix-socket and --grpc-address/,
    ],
    [{ endpoint: "unix:///a", "tls-ca-file": "/ca" }, {}, /the --tls-\* flags need a TCP endpoint/],
  ];
  for (const [flags, env, error] of cases) {
    assert.throws(() => resolveConnection(flags, (n) => env[n]), error, JSON.stringify(flags));
  }
});
