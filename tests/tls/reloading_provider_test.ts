import assert from "node:assert/strict";
import { ReloadingCertificateProvider, type ReloadResult } from "../../src/tls/mod.ts";
import { installIdentity, type Issued, makePki } from "./_pki.ts";

const pki = await makePki();

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
  const changes: ReloadResult[] = [];
  const subjects: string[] = [];
  p.onChange((change) => {
    changes.push(change);
    subjects.push(p.identity!.info.subject);
  });
  assert.deepEqual(await p.reload(), { identityChanged: true, caChanged: false });
  assert.deepEqual(await p.reload(), { identityChanged: false, caChanged: false });
  await installIdentity(dir, pki.server2);
  assert.deepEqual(await p.reload(), { identityChanged: true, caChanged: false });
  assert.deepEqual(changes, [
    { identityChanged: true, caChanged: false },
    { identityChanged: true, caChanged: false },
  ]);
  assert.deepEqual(subjects, ["CN=server1", "CN=server2"], "listeners see the new material");
  assert.equal(p.identity?.info.issuer, "CN=ca2");
});

Deno.test("ReloadingCertificateProvider.reload() keeps the previous pair when the key does not match", async () => {
  const dir = await servingDir(pki.server1);
  const p = provider(dir);
  await p.reload();
  const changes: ReloadResult[] = [];
  p.onChange((change) => changes.push(change));
  await Deno.copyFile(pki.server2.certFile, `${dir}/tls.crt`); // new cert, old key
  await assert.rejects(p.reload(), { name: "TypeError", message: /does not belong/ });
  await Deno.writeTextFile(`${dir}/tls.key`, "not a key");
  await assert.rejects(p.reload(), { name: "TypeError", message: /private key/ });
  await Deno.remove(`${dir}/tls.key`);
  await assert.rejects(p.reload(), Deno.errors.NotFound);
  assert.deepEqual(changes, []);
  assert.equal(p.identity?.info.subject, "CN=server1");
});

Deno.test("ReloadingCertificateProvider publishes a changed client CA", async () => {
  const dir = await servingDir(pki.server1, pki.ca1);
  const p = provider(dir, true);
  assert.deepEqual(await p.reload(), { identityChanged: true, caChanged: true });
  assert.deepEqual(
    new Uint8Array(p.clientCa!.caCertificate),
    await Deno.readFile(pki.ca1.certFile),
  );
  const changes: ReloadResult[] = [];
  p.onChange((change) => changes.push(change));
  await Deno.copyFile(pki.ca2.certFile, `${dir}/ca.crt`);
  assert.deepEqual(await p.reload(), { identityChanged: false, caChanged: true });
  assert.deepEqual(changes, [{ identityChanged: false, caChanged: true }]);
  assert.deepEqual(p.clientCa?.certificates.map((c) => c.subject), ["CN=ca2"]);
});

Deno.test("ReloadingCertificateProvider stops calling a listener once unregistered", async () => {
  const dir = await servingDir(pki.server1);
  const p = provider(dir);
  await p.reload();
  const changes: ReloadResult[] = [];
  const unsubscribe = p.onChange((change) => changes.push(change));
  unsubscribe();
  await installIdentity(dir, pki.server2);
  await p.reload();
  assert.deepEqual(changes, []);
});
