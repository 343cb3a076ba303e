/**
 * How the server process refuses an insecure or unusable TCP setup before
 * it serves anything.
 */
import assert from "node:assert/strict";
import { MAIN } from "../_helpers/server_process.ts";
import { installIdentity, makePki } from "./_pki.ts";

const pki = await makePki();

/** Runs the server to completion with `args` (it must exit on its own). */
async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
  const dir = await Deno.makeTempDir({ dir: pki.dir });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      `--unix-socket=${dir}/device.sock`,
      "--health-port=0",
      "--metrics-port=0",
      // Never the default /var/lib/device-api: a server that gets past its checks restores state.
      `--state-dir=${dir}/state`,
      ...args,
    ],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("server exits 2 for a non-loopback TCP address without TLS", async () => {
  const { code, stderr } = await run(["--grpc-address=0.0.0.0:0"]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /error: --grpc-address=0\.0\.0\.0:0 is not a loopback address and has no TLS: set --tls-cert-file and --tls-key-file, or set --allow-insecure-non-loopback/,
  );
  assert.doesNotMatch(stderr, /Listening on/);
});

Deno.test("server exits 2 for a non-loopback TCP address from the environment without TLS", async () => {
  const { code, stderr } = await run([], { DEVICE_API_GRPC_ADDRESS: "[::]:0" });
  assert.equal(code, 2);
  assert.match(
    stderr,
    /--grpc-address=\[::\]:0 \(from DEVICE_API_GRPC_ADDRESS\) is not a loopback address and has no TLS/,
  );
});

Deno.test("server exits 2 when a TLS file is missing and 1 when its contents are unusable", async () => {
  const tls = await Deno.makeTempDir({ dir: pki.dir });
  await installIdentity(tls, pki.server1);
  const missing = await run([
    "--grpc-address=127.0.0.1:0",
    `--tls-cert-file=${tls}/tls.crt`,
    `--tls-key-file=${tls}/missing.key`,
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read --tls-key-file ".*missing\.key": no such file/);

  await Deno.copyFile(pki.server2.keyFile, `${tls}/tls.key`);
  const mismatched = await run([
    "--grpc-address=127.0.0.1:0",
    `--tls-cert-file=${tls}/tls.crt`,
    `--tls-key-file=${tls}/tls.key`,
  ]);
  assert.equal(mismatched.code, 1);
  assert.match(
    mismatched.stderr,
    /"Cannot load the TLS files" err="Cannot use the private key: it does not belong to the certificate CN=server1"/,
  );
  assert.doesNotMatch(mismatched.stderr, /Listening on/);
});
