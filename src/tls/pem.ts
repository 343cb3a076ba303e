/**
 * Checks PEM material before it reaches the TLS stack: a certificate whose
 * key does not match, or a truncated file, would otherwise make grpc-js drop
 * every new connection until the next good update.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, X509Certificate } from "node:crypto";

/** What the logs say about a certificate, so operators can tell which one is served. */
export interface CertificateInfo {
  /** Subject distinguished name, e.g. `CN=device-api-server`. */
  readonly subject: string;
  /** Issuer distinguished name. */
  readonly issuer: string;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint: string;
}

/** A server certificate chain and its private key, checked to belong together. */
export interface IdentityMaterial {
  /** PEM certificate chain, leaf first. */
  readonly certificate: Buffer;
  /** PEM private key of the leaf. */
  readonly privateKey: Buffer;
  /** The leaf certificate. */
  readonly info: CertificateInfo;
}

/** A bundle of CA certificates that client certificates must chain to. */
export interface CaMaterial {
  /** PEM bundle. */
  readonly caCertificate: Buffer;
  /** Each certificate of the bundle, in file order. */
  readonly certificates: readonly CertificateInfo[];
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Parses a PEM certificate chain and private key and checks that the key
 * belongs to the first (leaf) certificate.
 *
 * @param certificate PEM certificate chain, leaf first
 * @param privateKey PEM private key (PKCS#8, PKCS#1 or SEC1)
 * @throws {TypeError} when either is not PEM or the key does not match the certificate
 */
export function parseIdentity(certificate: Uint8Array, privateKey: Uint8Array): IdentityMaterial {
  const chain = certificateBlocks(certificate, "certificate");
  const leaf = parseCertificate(chain[0]!, "certificate");
  let key;
  try {
    key = createPrivateKey(Buffer.from(privateKey));
  } catch (err) {
    throw new TypeError(`Cannot parse the private key: ${reason(err)}`);
  }
  if (key.type !== "private") {
    throw new TypeError("Cannot parse the private key: the file holds no private key");
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new TypeError(
      `Cannot use the private key: it does not belong to the certificate ${leaf.subject}`,
    );
  }
  return {
    certificate: Buffer.from(certificate),
    privateKey: Buffer.from(privateKey),
    info: describeCertificate(leaf),
  };
}

/**
 * Parses a PEM bundle of one or more CA certificates.
 *
 * @throws {TypeError} when the bundle holds no certificate or one that does not parse
 */
export function parseCaBundle(bundle: Uint8Array): CaMaterial {
  const blocks = certificateBlocks(bundle, "client CA bundle");
  return {
    caCertificate: Buffer.from(bundle),
    certificates: blocks.map((b) => describeCertificate(parseCertificate(b, "client CA bundle"))),
  };
}

/** Whether a certificate is outside its validity period at `now`. */
export function isExpired(info: CertificateInfo, now: Date): boolean {
  return now < info.notBefore || now > info.notAfter;
}

function certificateBlocks(pem: Uint8Array, what: string): string[] {
  const blocks = new TextDecoder().decode(pem).match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new TypeError(`Cannot parse the ${what}: no PEM CERTIFICATE block`);
  }
  return blocks;
}

function parseCertificate(block: string, what: string): X509Certificate {
  try {
    return new X509Certificate(block);
  } catch (err) {
    throw new TypeError(`Cannot parse the ${what}: ${reason(err)}`);
  }
}

function describeCertificate(cert: X509Certificate): CertificateInfo {
  return {
    subject: cert.subject.replaceAll("\n", ", "),
    issuer: cert.issuer.replaceAll("\n", ", "),
    notBefore: cert.validFromDate,
    notAfter: cert.validToDate,
    fingerprint: cert.fingerprint256,
  };
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
