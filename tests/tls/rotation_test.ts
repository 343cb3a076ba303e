/**
 * Certificate rotation without a restart: new files are served to new
 * connections while established ones keep working. The server runs under
 * the start task's scoped permissions, so the directory watch and the reads
 * are proven to fit them.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { LAUNCHER, startServer, testGpu } from "../_helpers/server_process.ts";
import { callStatus, installIdentity, makePki, tlsClient } from "./_pki.ts";
import { parseIdentity } from "../../src/tls/mod.ts";

const pki = await makePki();
const opts = {};
function fingerprintOf(issued: { certFile: string; keyFile: string }): string {
  return parseIdentity(Deno.readFileSync(issued.certFile), Deno.readFileSync(issued.keyFile)).info
    .fingerprint;
}

Deno.test(
  "a rotated certificate reaches new connections while an open one keeps working",
  opts,
  async () => {
    const tls = await Deno.makeTempDir({ dir: pki.dir });
    await installIdentity(tls, pki.server1);
    await Deno.copyFile(pki.ca1.certFile, `${tls}/ca.crt`);
    await using server = await startServer({
      command: [...LAUNCHER],
      args: [
        `--tls-cert-file=${tls}/tls.crt`,
        `--tls-key-file=${tls}/tls.key`,
        `--tls-client-ca-file=${tls}/ca.crt`,
      ],
    });
    const local = server.client();
    const before = tlsClient(server.tcpAddress, pki.ca1, pki.client1);
    const watch = before.watch();
    try {
      await local.create(testGpu("gpu-0"));
      assert.equal((await watch.next()).value?.object.metadata.name, "gpu-0");

      // A new key and certificate from another CA, each file replaced by a rename.
      await installIdentity(tls, pki.server2);
      const fingerprint = fingerprintOf(pki.server2);
      await server.waitForLog((l) =>
        l.msg === "Reloaded the TLS certificate" && l.fingerprint === fingerprint
      );

      // New connections get the new certificate: only clients trusting ca2 accept it.
      const trustsOld = tlsClient(server.tcpAddress, pki.ca1, pki.client1);
      const trustsNew = tlsClient(server.tcpAddress, pki.ca2, pki.client1);
      try {
        assert.equal(await callStatus(trustsOld.list()), grpc.status.UNAVAILABLE);
        assert.equal((await trustsNew.get("gpu-0")).metadata.name, "gpu-0");
      } finally {
        trustsOld.close();
        trustsNew.close();
      }

      // The connection opened before the rotation (which trusts only ca1, so it
      // could not reconnect) still carries unary calls and its watch stream.
      await local.create(testGpu("gpu-1"));
      assert.equal((await watch.next()).value?.object.metadata.name, "gpu-1");
      assert.equal((await before.list()).items.length, 2);
    } finally {
      watch.cancel();
      before.close();
      local.close();
    }
    assert.equal((await server.stop()).code, 0);
  },
);

Deno.test("a rotated client CA decides the handshakes of new connections", opts, async () => {
  const tls = await Deno.makeTempDir({ dir: pki.dir });
  await installIdentity(tls, pki.server1);
  await Deno.copyFile(pki.ca1.certFile, `${tls}/ca.crt`);
  await using server = await startServer({
    args: [
      `--tls-cert-file=${tls}/tls.crt`,
      `--tls-key-file=${tls}/tls.key`,
      `--tls-client-ca-file=${tls}/ca.crt`,
    ],
  });
  const clientOf = (identity: typeof pki.client1) =>
    tlsClient(server.tcpAddress, pki.ca1, identity);
  const before = [clientOf(pki.client1), clientOf(pki.client2)];
  try {
    assert.equal(await callStatus(before[0]!.list()), "OK");
    assert.equal(await callStatus(before[1]!.list()), grpc.status.UNAVAILABLE);
  } finally {
    for (const c of before) c.close();
  }

  await Deno.copyFile(pki.ca2.certFile, `${tls}/.ca.crt.tmp`);
  await Deno.rename(`${tls}/.ca.crt.tmp`, `${tls}/ca.crt`);
  await server.waitForLog((l) => l.msg === "Reloaded the TLS client CA bundle");

  const after = [clientOf(pki.client1), clientOf(pki.client2)];
  try {
    assert.equal(await callStatus(after[0]!.list()), grpc.status.UNAVAILABLE);
    assert.equal(await callStatus(after[1]!.list()), "OK");
  } finally {
    for (const c of after) c.close();
  }
  await server.disconnected();
  assert.equal((await server.stop()).code, 0);
});
