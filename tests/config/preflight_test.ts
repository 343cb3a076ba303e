import assert from "node:assert/strict";
import { join } from "node:path";
import { type Config, DEFAULT_CONFIG, preflightConfig } from "../../src/config/mod.ts";

function withSockets(unixSocket: string, consumerSocket = ""): Config {
  return { ...DEFAULT_CONFIG, unixSocket, consumerSocket };
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "dapi-preflight-" });
}

Deno.test("preflightConfig() creates missing socket directories with mode 0750", async () => {
  const root = await tempDir();
  try {
    const main = join(root, "a", "b", "device.sock");
    const ro = join(root, "ro", "consumer.sock");
    assert.deepEqual(await preflightConfig(withSockets(main, ro)), []);
    for (const dir of [join(root, "a", "b"), join(root, "ro")]) {
      const info = await Deno.stat(dir);
      assert.ok(info.isDirectory);
      assert.equal((info.mode ?? 0) & 0o777, 0o750, dir);
      assert.deepEqual([...Deno.readDirSync(dir)], [], "the probe file was left behind");
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("preflightConfig() leaves an existing socket directory's mode alone", async () => {
  const root = await tempDir();
  try {
    await Deno.chmod(root, 0o755);
    assert.deepEqual(await preflightConfig(withSockets(join(root, "device.sock"))), []);
    assert.equal(((await Deno.stat(root)).mode ?? 0) & 0o777, 0o755);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("preflightConfig() reports a socket directory that cannot be created", async () => {
  const root = await tempDir();
  try {
    const file = join(root, "file");
    await Deno.writeTextFile(file, "");
    const errors = await preflightConfig(withSockets(join(file, "sub", "device.sock")));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? "", new RegExp(`^cannot use socket directory "${file}/sub": .+`));
    const direct = await preflightConfig(withSockets(join(file, "device.sock")));
    assert.deepEqual(direct, [`cannot use socket directory "${file}": not a directory`]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("preflightConfig() refuses a socket path taken by a file or directory", async () => {
  const root = await tempDir();
  try {
    const file = join(root, "device.sock");
    const dir = join(root, "consumer.sock");
    await Deno.writeTextFile(file, "");
    await Deno.mkdir(dir);
    assert.deepEqual(await preflightConfig(withSockets(file, dir)), [
      `cannot use socket path "${file}": it exists and is not a socket`,
      `cannot use socket path "${dir}": it exists and is not a socket`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("preflightConfig() checks that TLS files are readable regular files", async () => {
  const root = await tempDir();
  try {
    const cert = join(root, "tls.crt");
    await Deno.writeTextFile(cert, "-----BEGIN CERTIFICATE-----\n");
    const base = withSockets("");
    assert.deepEqual(await preflightConfig({ ...base, tlsCertFile: cert, tlsKeyFile: cert }), []);
    const missing = join(root, "tls.key");
    assert.deepEqual(
      await preflightConfig({
        ...base,
        tlsCertFile: cert,
        tlsKeyFile: missing,
        tlsClientCaFile: root,
      }),
      [
        `cannot read --tls-key-file "${missing}": no such file or directory`,
        `cannot read --tls-client-ca-file "${root}": not a regular file`,
      ],
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("preflightConfig() does nothing when no socket or TLS file is configured", async () => {
  assert.deepEqual(await preflightConfig(withSockets("", "")), []);
});
