import assert from "node:assert/strict";
import { isExpired, parseCaBundle, parseIdentity } from "../../src/tls/mod.ts";
import { makePki } from "./_pki.ts";

const pki = await makePki();
const read = (file: string) => Deno.readFileSync(file);

Deno.test("parseIdentity() accepts a certificate chain with its own key", () => {
  const chain = new Uint8Array([...read(pki.server1.certFile), ...read(pki.ca1.certFile)]);
  const identity = parseIdentity(chain, read(pki.server1.keyFile));
  assert.equal(identity.info.subject, "CN=server1");
  assert.equal(identity.info.issuer, "CN=ca1");
  assert.match(identity.info.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.ok(identity.info.notAfter > new Date());
  assert.deepEqual(new Uint8Array(identity.certificate), chain);
});

Deno.test("parseIdentity() rejects a key that belongs to another certificate", () => {
  assert.throws(
    () => parseIdentity(read(pki.server1.certFile), read(pki.server2.keyFile)),
    { name: "TypeError", message: /^Cannot use the private key: it does not belong to .*server1/ },
  );
});

Deno.test("parseIdentity() rejects files that are not the PEM it expects", () => {
  const key = read(pki.server1.keyFile);
  const cert = read(pki.server1.certFile);
  assert.throws(() => parseIdentity(key, key), {
    name: "TypeError",
    message: "Cannot parse the certificate: no PEM CERTIFICATE block",
  });
  assert.throws(() => parseIdentity(cert, cert), {
    name: "TypeError",
    message: /^Cannot parse the private key: /,
  });
  const truncated = cert.slice(0, 60);
  assert.throws(() => parseIdentity(truncated, key), { name: "TypeError" });
  const damaged = new TextEncoder().encode(
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
  );
  assert.throws(() => parseIdentity(damaged, key), {
    name: "TypeError",
    message: /^Cannot parse the certificate: /,
  });
});

Deno.test("parseCaBundle() lists every certificate of a bundle", () => {
  const bundle = new Uint8Array([...read(pki.ca1.certFile), ...read(pki.ca2.certFile)]);
  const ca = parseCaBundle(bundle);
  assert.deepEqual(ca.certificates.map((c) => c.subject), ["CN=ca1", "CN=ca2"]);
  assert.throws(() => parseCaBundle(read(pki.ca1.keyFile)), {
    name: "TypeError",
    message: "Cannot parse the client CA bundle: no PEM CERTIFICATE block",
  });
});

Deno.test("isExpired() is true before notBefore and after notAfter only", () => {
  const info = parseIdentity(read(pki.server1.certFile), read(pki.server1.keyFile)).info;
  assert.equal(isExpired(info, new Date()), false);
  assert.equal(isExpired(info, new Date(info.notAfter.getTime() + 1000)), true);
  assert.equal(isExpired(info, new Date(info.notBefore.getTime() - 1000)), true);
});
