import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { parseIdentity, ReloadingCertificateProvider } from "../../src/tls/mod.ts";
import { installIdentity, type Issued, makePki } from "./_pki.ts";

const pki = await makePki();

type IdentityUpdate = grpc.experimental.IdentityCertificateUpdate | null;
type CaUpdate = grpc.experimental.CaCertificateUpdate | null;

function subjectOf(update: IdentityUpdate): string {
  assert.ok(update !== null);
  return parseIdentity(update.certificate, update.privateKey).info.subject;
}

async function servingDir(identity: Issued, ca?: Issued): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: pki.dir });
  await installIdentity(dir, identity);
  if (ca) await Deno.copyFile(ca.certFile, `${dir}/ca.crt`);
  return dir;
}

function provider(dir: string, mutual = false): ReloadingCertificateProvider {
  return new ReloadingCertificateProvider({
    certFile: `${dir}/tls.crt`,
    keyFile: `${dir}/tls.key`,
    clientCaFile: mutual ? `${dir}/ca.crt` : "",
  });
}

Deno.test("ReloadingCertificateProvider.reload() publishes a changed identity, and only then", async () => {
  const dir = await servingDir(pki.server1);
  const p = provider(dir);
  assert.deepEqual(await p.reload(), { identityChanged: true, caChanged: false });
  const updates: IdentityUpdate[] = [];
  p.addIdentityCertificateListener((u) => updates.push(u));
  assert.equal(
    updates.length,
    0,
    "grpc-js needs the first update after addIdentityCertificateListener returns",
  );
  await Promise.resolve();
  assert.deepEqual(updates.map(subjectOf), ["CN=server1"]);

  assert.deepEqual(await p.reload(), { identityChanged: false, caChanged: false });
  assert.equal(updates.length, 1);

  await installIdentity(dir, pki.server2);
  assert.deepEqual(await p.reload(), { identityChanged: true, caChanged: false });
  assert.deepEqual(updates.map(subjectOf), ["CN=server1", "CN=server2"]);
  assert.equal(p.identity?.info.issuer, "CN=ca2");
});

Deno.test("ReloadingCertificateProvider.reload() keeps the previous pair when the key does not match", async () => {
  const dir = await servingDir(pki.server1);
  const p = provider(dir);
  await p.reload();
  const updates: IdentityUpdate[] = [];
  p.addIdentityCertificateListener((u) => updates.push(u));
  await Promise.resolve();
  await Deno.copyFile(pki.server2.certFile, `${dir}/tls.crt`); // new cert, old key
  await assert.rejects(p.reload(), { name: "TypeError", message: /does not belong/ });
  await Deno.writeTextFile(`${dir}/tls.key`, "not a key");
  await assert.rejects(p.reload(), { name: "TypeError", message: /private key/ });
  await Deno.remove(`${dir}/tls.key`);
  await assert.rejects(p.reload(), Deno.errors.NotFound);
  assert.equal(updates.length, 1);
  assert.equal(p.identity?.info.subject, "CN=server1");
});

Deno.test("ReloadingCertificateProvider publishes the client CA to CA listeners", async () => {
  const dir = await servingDir(pki.server1, pki.ca1);
  const p = provider(dir, true);
  assert.deepEqual(await p.reload(), { identityChanged: true, caChanged: true });
  const updates: CaUpdate[] = [];
  p.addCaCertificateListener((u) => updates.push(u));
  await Promise.resolve();
  assert.equal(updates.length, 1);
  assert.deepEqual(
    new Uint8Array(updates[0]!.caCertificate),
    await Deno.readFile(pki.ca1.certFile),
  );
  await Deno.copyFile(pki.ca2.certFile, `${dir}/ca.crt`);
  assert.deepEqual(await p.reload(), { identityChanged: false, caChanged: true });
  assert.equal(updates.length, 2);
  assert.deepEqual(p.clientCa?.certificates.map((c) => c.subject), ["CN=ca2"]);
});

Deno.test("ReloadingCertificateProvider stops calling removed listeners", async () => {
  const dir = await servingDir(pki.server1);
  const p = provider(dir);
  await p.reload();
  const updates: IdentityUpdate[] = [];
  const listener = (u: IdentityUpdate) => updates.push(u);
  p.addIdentityCertificateListener(listener);
  p.removeIdentityCertificateListener(listener);
  await Promise.resolve();
  await installIdentity(dir, pki.server2);
  await p.reload();
  assert.deepEqual(updates, []);
});
