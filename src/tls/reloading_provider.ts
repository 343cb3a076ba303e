/**
 * A grpc-js certificate provider fed from files that can be re-read at any
 * time. grpc-js applies each update to its TLS server with
 * `setSecureContext`, so new handshakes use the new material while
 * established connections keep theirs.
 *
 * Unlike grpc-js's own `FileWatcherCertificateProvider`, which polls on a
 * timer and passes along whatever it read, this provider publishes only
 * material that parses and whose key matches its certificate: a bad or
 * half-written update keeps the previous, working one.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { type CaMaterial, type IdentityMaterial, parseCaBundle, parseIdentity } from "./pem.ts";

type CertificateProvider = grpc.experimental.CertificateProvider;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;
type CaListener = grpc.experimental.CaCertificateUpdateListener;

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

/** Certificate provider (identity and client CA) that re-reads its files on demand. */
export class ReloadingCertificateProvider implements CertificateProvider {
  readonly #files: TlsFiles;
  #identity: IdentityMaterial | undefined;
  #ca: CaMaterial | undefined;
  readonly #identityListeners = new Set<IdentityListener>();
  readonly #caListeners = new Set<CaListener>();

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
    if (caChanged) {
      this.#ca = ca;
      for (const listener of this.#caListeners) listener({ caCertificate: ca.caCertificate });
    }
    if (identityChanged) {
      this.#identity = identity;
      for (const listener of this.#identityListeners) listener(identityUpdate(identity));
    }
    return { identityChanged, caChanged };
  }

  /** Registers a CA listener; it gets the current bundle on a later microtask (grpc-js needs that). */
  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    queueMicrotask(() => {
      if (this.#ca !== undefined && this.#caListeners.has(listener)) {
        listener({ caCertificate: this.#ca.caCertificate });
      }
    });
  }

  /** Unregisters a CA listener. */
  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
  }

  /** Registers an identity listener; it gets the current pair on a later microtask. */
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.#identity !== undefined && this.#identityListeners.has(listener)) {
        listener(identityUpdate(this.#identity));
      }
    });
  }

  /** Unregisters an identity listener. */
  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
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

function identityUpdate(identity: IdentityMaterial): grpc.experimental.IdentityCertificateUpdate {
  return { certificate: identity.certificate, privateKey: identity.privateKey };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
