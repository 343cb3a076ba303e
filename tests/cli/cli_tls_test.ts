/**
 * The CLI over the TLS TCP listener: it verifies the server with --tls-ca-file and presents a
 * client certificate with --tls-cert-file and --tls-key-file (mutual TLS).
 */
import assert from "node:assert/strict";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { issue, makeCa } from "../tls/_pki.ts";
import { cli } from "./_helpers.ts";

Deno.test("the CLI talks mutual TLS to --grpc-address with the --tls-* files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "das-cli-tls-" });
  try {
    const ca = await makeCa(dir, "ca");
    const [serving, client] = await Promise.all([
      issue(dir, ca, "server", "server"),
      issue(dir, ca, "operator", "client"),
    ]);
    await using server = await startServer({
      args: [
        `--tls-cert-file=${serving.certFile}`,
        `--tls-key-file=${serving.keyFile}`,
        `--tls-client-ca-file=${ca.certFile}`,
      ],
    });
    const local = server.client();
    try {
      await local.create(testGpu("gpu-0"));
    } finally {
      local.close();
    }
    const tcp = ["--grpc-address", server.tcpAddress, "--tls-ca-file", ca.certFile];
    const mutual = [...tcp, "--tls-cert-file", client.certFile, "--tls-key-file", client.keyFile];
    assert.deepEqual(await cli(["get", "gpus", "-o", "name", ...mutual]), {
      code: 0,
      stdout: "gpu/gpu-0\n",
      stderr: "",
    });
    const noClientCert = await cli(["get", "gpus", ...tcp]);
    assert.equal(noClientCert.code, 1);
    assert.match(
      noClientCert.stderr,
      /^error: cannot reach the device-api-server at 127\.0\.0\.1:\d+: .+\n$/,
    );
    const plaintext = await cli([
      "get",
      "gpus",
      "--grpc-address",
      server.tcpAddress,
      "--timeout",
      "2s",
    ]);
    assert.equal(plaintext.code, 1);
    assert.match(plaintext.stderr, /^error: .+\n$/);
    const missing = await cli([
      "get",
      "gpus",
      "--grpc-address",
      server.tcpAddress,
      "--tls-ca-file",
      `${dir}/none.crt`,
    ]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      new RegExp(`^error: cannot read --tls-ca-file ${dir}/none\\.crt: .+\\n$`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
