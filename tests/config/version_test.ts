import assert from "node:assert/strict";
import { VERSION, versionText } from "../../src/version/mod.ts";

Deno.test("VERSION matches the version in deno.json", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(VERSION, denoJson.version);
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
});

Deno.test("versionText() names the release, runtime and platform", () => {
  const { deno, v8, typescript } = Deno.version;
  assert.equal(
    versionText(),
    `device-api-server v${VERSION} (deno ${deno}, v8 ${v8}, typescript ${typescript}, ` +
      `${Deno.build.os} ${Deno.build.arch})`,
  );
});
