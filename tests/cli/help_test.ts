import assert from "node:assert/strict";
import { CLI_VERBS } from "../../src/cli/mod.ts";
import { CLI_FLAGS, CONNECTION_FLAGS, VERB_FLAGS } from "../../src/cli/cli_flags.ts";
import { commandHelp, overviewHelp, usageText } from "../../src/cli/help.ts";

Deno.test("overviewHelp() lists every command and the connection flags", () => {
  const help = overviewHelp();
  for (const verb of CLI_VERBS) assert.match(help, new RegExp(`^  ${verb} +\\S`, "m"), verb);
  for (const flag of CONNECTION_FLAGS) assert.ok(help.includes(`--${flag.name}`), flag.name);
  assert.ok(help.includes("[$DEVICE_API_UNIX_SOCKET]"));
  assert.ok(help.replace(/\s+/g, " ").includes('(default "/var/run/device-api/device.sock")'));
});

Deno.test("commandHelp() lists exactly the flags a command takes", () => {
  for (const verb of CLI_VERBS) {
    if (verb === "help") continue;
    const help = commandHelp(verb);
    for (const flag of CLI_FLAGS) {
      const listed = new RegExp(`^  (-\\w, | {4})--${flag.name}\\b`, "m").test(help);
      const takes: boolean = VERB_FLAGS[verb].includes(flag.name) ||
        CONNECTION_FLAGS.some((f) => f.name === flag.name);
      assert.equal(listed, takes, `${verb} --${flag.name}`);
    }
    assert.ok(help.includes(`Usage:\n  device-api-server ${verb} `), verb);
  }
});

Deno.test("commandHelp() lists the output formats of the command", () => {
  assert.match(
    commandHelp("get").replace(/\s+/g, " "),
    /--output string output format: wide, json, yaml, name, jsonpath=TEMPLATE, custom-columns=SPEC -n/,
  );
  assert.match(commandHelp("watch"), /--output string +output format: json\n/);
});

Deno.test("commandHelp() tells how to clear an XID condition", () => {
  assert.match(
    commandHelp("clear").replaceAll("\n", " "),
    /clears a critical XID reported by the NVML provider/,
  );
});

Deno.test("usageText() points at the command's help", () => {
  assert.ok(usageText("set").endsWith("Run 'device-api-server help set' for more.\n"));
  assert.ok(usageText(undefined).includes("Run 'device-api-server help' for the commands."));
});

Deno.test("every help page fits in 100 columns", () => {
  for (const page of [overviewHelp(), ...CLI_VERBS.map(commandHelp)]) {
    for (const line of page.split("\n")) assert.ok(line.length <= 100, line);
  }
});
