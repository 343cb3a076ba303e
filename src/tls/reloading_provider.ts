/**
 * The TCP listener's TLS material (certificate, key, client CA), read from
 * files that can be re-read at any time. The listener applies each change to
 * its TLS server with `setSecureContext`, so new handshakes use the new
 * material while established connections keep theirs.
 *
 * Only material that parses, and whose key matches its certificate, is
 * published: a bad or half-written update keeps the previous, working one.
 *
 * @module
 */
import { type CaMaterial, type IdentityMaterial, parseCaBundle, parseIdentity } from "./pem.ts";

/** Where the TCP listener's TLS material lives. */
export interface TlsFiles {
  /** PEM certificate chain, leaf first. */
  readonly certFile: string;
  /** PEM private key of the leaf. */
  readonly keyFile: string;
  /** PEM CA bundle client certificates must chain to; "" turns mutual TLS off. */
  readonly clientCaFile: string;
}

/** What a reload changed. */
export interface ReloadResult {
  readonly identityChanged: boolean;
  readonly caChanged: boolean;
}

/** Reads beyond this many while the certificate keeps changing under us, give up. */
const MAX_READS = 3;

/** Called after a reload that changed the identity, the client CA or both. */
export type MaterialListener = (change: ReloadResult) => void;

/** Certificate provider (identity and client CA) that re-reads its files on demand. */
export class ReloadingCertificateProvider {
  readonly #files: TlsFiles;
  #identity: IdentityMaterial | undefined;
  #ca: CaMaterial | undefined;
  readonly #listeners = new Set<MaterialListener>();

  /** Creates the provider; nothing is read until {@linkcode ReloadingCertificateProvider.reload}. */
  constructor(files: TlsFiles) {
    this.#files = files;
  }

  /** The files this provider reads. */
  get files(): TlsFiles {
    return this.#files;
  }

  /** The certificate and key being served; undefined before the first successful reload. */
  get identity(): IdentityMaterial | undefined {
    return this.#identity;
  }

  /** The client CA bundle; undefined without mutual TLS or before the first reload. */
  get clientCa(): CaMaterial | undefined {
    return this.#ca;
  }

  /**
   * Reads and checks the files, and publishes what changed to the listeners.
   * On failure nothing is published and the previous material stays.
   *
   * @throws {TypeError} when a file does not parse or the key does not match
   * @throws {Deno.errors.NotFound} (and other file-system errors) when a file cannot be read
   */
  async reload(): Promise<ReloadResult> {
    const files = await this.#readConsistent();
    const identity = parseIdentity(files.certificate, files.privateKey);
    const ca = files.clientCa === undefined ? undefined : parseCaBundle(files.clientCa);
    const identityChanged = this.#identity === undefined ||
      !this.#identity.certificate.equals(identity.certificate) ||
      !this.#identity.privateKey.equals(identity.privateKey);
    const caChanged = ca !== undefined &&
      (this.#ca === undefined || !this.#ca.caCertificate.equals(ca.caCertificate));
    if (caChanged) this.#ca = ca;
    if (identityChanged) this.#identity = identity;
    const change = { identityChanged, caChanged };
    if (identityChanged || caChanged) {
      for (const listener of this.#listeners) listener(change);
    }
    return change;
  }

  /**
   * Calls `listener` after each reload that changes the material (not for
   * the material already loaded).
   *
   * @returns a function that unregisters it
   */
  onChange(listener: MaterialListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Reads the files, then the certificate again: when it changed in between
   * (a rotation landed mid-read), reads everything again so the certificate
   * and key come from the same generation.
   */
  async #readConsistent(): Promise<
    { certificate: Uint8Array; privateKey: Uint8Array; clientCa?: Uint8Array }
  > {
    const { certFile, keyFile, clientCaFile } = this.#files;
    let certificate = await Deno.readFile(certFile);
    for (let reads = 1;; reads++) {
      const privateKey = await Deno.readFile(keyFile);
      const clientCa = clientCaFile === "" ? undefined : await Deno.readFile(clientCaFile);
      const again = await Deno.readFile(certFile);
      if (equalBytes(certificate, again) || reads >= MAX_READS) {
        return { certificate: again, privateKey, clientCa };
      }
      certificate = again;
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
