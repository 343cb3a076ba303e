import assert from "node:assert/strict";
import { ACTION_FLAGS, FLAGS, flagsMarkdown, helpText } from "../../src/config/mod.ts";

Deno.test("helpText() lists every flag with its environment variable", () => {
  const help = helpText();
  for (const flag of FLAGS) {
    assert.match(help, new RegExp(`^ {2}(-${flag.short}, | {4})--${flag.name}\\b`, "m"), flag.name);
    assert.ok(help.includes(`[$${flag.env}]`), flag.env);
  }
  for (const action of ACTION_FLAGS) assert.ok(help.includes(`--${action.name}`), action.name);
});

Deno.test("helpText() follows the kubectl layout", () => {
  const help = helpText();
  assert.ok(help.includes("\nUsage:\n  device-api-server [flags]\n"));
  assert.ok(help.includes("  device-api-server get gpus|gpu NAME|providers [flags]\n"));
  assert.ok(help.includes("  device-api-server describe gpu NAME | watch gpus [flags]\n"));
  assert.ok(help.includes("  device-api-server help [COMMAND]"));
  assert.ok(help.includes("\nFlags:\n"));
  assert.match(help, /^ {6}--grpc-address string +TCP address/m);
  assert.match(help, /^ {2}-v, --v int +log verbosity/m);
  assert.match(help, /^ {2}-h, --help +show this help and exit$/m);
  assert.match(help, /^ {6}--allow-insecure-non-loopback +allow/m);
  assert.ok(help.includes('(default "127.0.0.1:50051")'));
  assert.ok(help.includes("(default 30s)"));
  assert.ok(help.includes("(default 0660)"));
  assert.ok(help.includes("(default true)"));
  assert.ok(!help.includes("(default false)"));
  assert.ok(!help.includes('(default "")'));
  assert.ok(help.endsWith("\n"));
});

Deno.test("helpText() aligns descriptions in one column within 100 characters", () => {
  const lines = helpText().split("\n");
  assert.ok(lines.every((line) => line.length <= 100), "a line is longer than 100");
  const flagLines = lines.slice(lines.indexOf("Flags:") + 1).filter((l) => l !== "");
  const columns = new Set<number>();
  for (const line of flagLines) {
    const head = /^ {2}(?:-\w, | {4})--[\w-]+(?: \w+)? {3,}(?=\S)/.exec(line);
    const indent = /^ +(?=\S)/.exec(line);
    columns.add(head !== null ? head[0].length : (indent?.[0].length ?? 0));
  }
  assert.equal(columns.size, 1, `descriptions start at columns ${[...columns].join(", ")}`);
  assert.ok([...columns][0]! > 20);
});

Deno.test("flagsMarkdown() has one row per flag", () => {
  const rows = flagsMarkdown().trimEnd().split("\n");
  assert.equal(rows.length, FLAGS.length + 2);
  assert.equal(rows[0], "| Flag | Type | Environment variable | Default | Meaning |");
  assert.equal(
    rows.find((r) => r.includes("--grpc-address")),
    "| `--grpc-address` | string | `DEVICE_API_GRPC_ADDRESS` | `127.0.0.1:50051` | TCP address " +
      "of the gRPC listener, HOST:PORT with an IP or localhost as HOST (port 0 picks a free port); " +
      "empty disables it |",
  );
  assert.ok(
    rows.includes(
      "| `--consumer-socket` | string | `DEVICE_API_CONSUMER_SOCKET` | (empty) | " +
        "read-only Unix socket (reads and watches only; writes are PERMISSION_DENIED); empty disables it |",
    ),
  );
});
