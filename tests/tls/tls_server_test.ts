/**
 * TLS and mutual TLS on the TCP listener of the real server process; the
 * Unix socket stays plaintext.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { startServer, testGpu } from "../_helpers/server_process.ts";
import { callStatus, installIdentity, makePki, tlsClient } from "./_pki.ts";

const pki = await makePki();
const opts = {};

async function servingDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: pki.dir });
  await installIdentity(dir, pki.server1);
  await Deno.copyFile(pki.ca1.certFile, `${dir}/ca.crt`);
  return dir;
}

Deno.test(
  "TLS listener serves clients that trust its CA and refuses the others",
  opts,
  async () => {
    const tls = await servingDir();
    await using server = await startServer({
      args: [`--tls-cert-file=${tls}/tls.crt`, `--tls-key-file=${tls}/tls.key`],
    });
    const line = server.logs.find((l) => l.msg === "TLS is on for the TCP listener");
    assert.equal(line?.mutualTls, false);
    assert.equal(server.logs.find((l) => l.msg === "Listening on TCP")?.tls, true);
    const local = server.client();
    const trusted = tlsClient(server.tcpAddress, pki.ca1);
    const otherCa = tlsClient(server.tcpAddress, pki.ca2);
    const plaintext = new DeviceApiClient(server.tcpAddress, { timeoutMs: 5_000 });
    try {
      await local.create(testGpu("gpu-0")); // the Unix socket stays plaintext
      assert.equal((await trusted.get("gpu-0")).metadata.name, "gpu-0");
      await trusted.create(testGpu("gpu-1"));
      assert.equal((await local.list()).items.length, 2);
      assert.equal(await callStatus(otherCa.list()), grpc.status.UNAVAILABLE);
      assert.equal(await callStatus(plaintext.list()), grpc.status.UNAVAILABLE);
    } finally {
      for (const c of [local, trusted, otherCa, plaintext]) c.close();
    }
    assert.equal((await server.stop()).code, 0);
  },
);

Deno.test(
  "mutual TLS refuses clients without a certificate from the client CA at the handshake",
  opts,
  async () => {
    const tls = await servingDir();
    await using server = await startServer({
      args: [
        `--tls-cert-file=${tls}/tls.crt`,
        `--tls-key-file=${tls}/tls.key`,
        `--tls-client-ca-file=${tls}/ca.crt`,
      ],
    });
    const line = server.logs.find((l) => l.msg === "TLS is on for the TCP listener");
    assert.equal(line?.mutualTls, true);
    const withCert = tlsClient(server.tcpAddress, pki.ca1, pki.client1);
    const noCert = tlsClient(server.tcpAddress, pki.ca1);
    const foreignCert = tlsClient(server.tcpAddress, pki.ca1, pki.client2);
    try {
      assert.equal(await callStatus(withCert.create(testGpu("gpu-0"))), "OK");
      assert.equal(await callStatus(noCert.list()), grpc.status.UNAVAILABLE);
      assert.equal(await callStatus(noCert.get("gpu-0")), grpc.status.UNAVAILABLE);
      assert.equal(await callStatus(foreignCert.list()), grpc.status.UNAVAILABLE);
      // The refused handshakes left the server and the good connection alone.
      assert.deepEqual((await withCert.list()).items.map((g) => g.metadata.name), ["gpu-0"]);
    } finally {
      for (const c of [withCert, noCert, foreignCert]) c.close();
    }
    assert.equal((await server.stop()).code, 0);
  },
);
