import assert from "node:assert/strict";
import { ArgError, scanArgs } from "../../src/config/mod.ts";

const FLAGS = [
  { name: "output", short: "o", bool: false },
  { name: "label", bool: false },
  { name: "all", short: "A", bool: true },
];

Deno.test("scanArgs() reads every Go flag form the same way", () => {
  for (
    const args of [
      ["--output", "x"],
      ["-output", "x"],
      ["--output=x"],
      ["-output=x"],
      ["-o", "x"],
      ["-ox"],
    ]
  ) {
    assert.deepEqual(scanArgs(args, FLAGS).values.get("output"), ["x"], args.join(" "));
  }
});

Deno.test("scanArgs() keeps every value of a repeated flag, positionals between flags and after --", () => {
  const scanned = scanArgs(["a", "--label", "k=v", "b", "--label=x", "-A", "--", "-o", "c"], FLAGS);
  assert.deepEqual(scanned.values.get("label"), ["k=v", "x"]);
  assert.deepEqual(scanned.values.get("all"), ["true"]);
  assert.deepEqual(scanned.positionals, ["a", "b", "-o", "c"]);
  assert.deepEqual(scanned.errors, []);
});

Deno.test("scanArgs() takes a value that starts with a dash unless it is a flag", () => {
  assert.deepEqual(scanArgs(["--output", "-1"], FLAGS).values.get("output"), ["-1"]);
  const scanned = scanArgs(["--output", "-A"], FLAGS);
  assert.equal(scanned.values.get("output"), undefined);
  assert.deepEqual(scanned.values.get("all"), ["true"]);
});

Deno.test("scanArgs() reports each mistake as a typed ArgError", () => {
  const cases: [string[], string, string, string][] = [
    [["--nope=1"], "unknown-flag", "--nope", "unknown flag: --nope"],
    [["-x"], "unknown-flag", "-x", "unknown flag: -x"],
    [["---o"], "bad-syntax", "---o", "bad flag syntax: ---o"],
    [["--output"], "missing-value", "output", "flag needs an argument: --output"],
    [["--all", "false"], "boolean-value", "all", "flag --all is boolean: write --all=false"],
    [
      ["--help=maybe"],
      "invalid-value",
      "help",
      'invalid value "maybe" for flag --help: must be true or false',
    ],
  ];
  for (const [args, kind, flag, message] of cases) {
    const [err, ...rest] =
      scanArgs(args, FLAGS, { actions: [{ name: "help", short: "h" }] }).errors;
    assert.ok(err instanceof ArgError, args.join(" "));
    assert.deepEqual({ kind: err.kind, flag: err.flag, message: err.message }, {
      kind,
      flag,
      message,
    });
    assert.deepEqual(rest, []);
  }
});

Deno.test("scanArgs() returns the first action flag not set to false", () => {
  const actions = [{ name: "help", short: "h" }, { name: "version" }];
  assert.equal(scanArgs(["--help=false", "--version", "-h"], FLAGS, { actions }).action, "version");
  assert.equal(scanArgs(["--help=0"], FLAGS, { actions }).action, undefined);
});
