/**
 * TLS for the TCP listener: a {@linkcode ReloadingCertificateProvider} kept
 * current by a directory watch. The listener (`src/server/tcp_listener.ts`)
 * terminates TLS with the provider's material and replaces its secure
 * context on each change, so rotated certificates are served without a
 * restart and without closing established connections.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Logger } from "../logging/mod.ts";
import {
  DEFAULT_FALLBACK_INTERVAL_MS,
  type DirectoryWatch,
  watchDirectories,
} from "./dir_watcher.ts";
import { type CertificateInfo, isExpired } from "./pem.ts";
import { ReloadingCertificateProvider, type TlsFiles } from "./reloading_provider.ts";

/** Options of {@linkcode startTcpTls}. */
export interface TcpTlsOptions extends TlsFiles {
  /** Where loads, reloads and failures are reported. */
  logger: Logger;
  /** Quiet time after a change before the files are re-read, in ms (default 200). */
  debounceMs?: number;
  /** Re-read interval when directory watching is unavailable, in ms (default 60 s). */
  fallbackIntervalMs?: number;
  /** Clock for the expiry warnings. */
  now?: () => Date;
}

/** TLS of the TCP listener, live until {@linkcode TcpTls.stop}. */
export interface TcpTls {
  /** Whether clients must present a certificate signed by the client CA. */
  readonly mutual: boolean;
  /** The provider of the listener's material (current material, manual reloads). */
  readonly provider: ReloadingCertificateProvider;
  /** Stops watching the files; the provider keeps the last material. */
  stop(): void;
}

/**
 * Loads the TLS files and starts re-reading them whenever their directories
 * change. Mutual TLS is on when `clientCaFile` is set: a client without a
 * certificate signed by that CA is refused during the handshake.
 *
 * @throws {TypeError} when the files do not hold a matching certificate and key or a CA bundle
 * @throws {Deno.errors.NotFound} (and other file-system errors) when a file cannot be read
 */
export async function startTcpTls(options: TcpTlsOptions): Promise<TcpTls> {
  const log = options.logger;
  const now = options.now ?? (() => new Date());
  const provider = new ReloadingCertificateProvider({
    certFile: options.certFile,
    keyFile: options.keyFile,
    clientCaFile: options.clientCaFile,
  });
  await provider.reload();
  const mutual = options.clientCaFile !== "";
  logCertificate(log, "Loaded the TLS certificate", provider, now());
  if (mutual) logClientCa(log, "Loaded the TLS client CA bundle", provider);

  let running = false;
  let again = false;
  const reload = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          const changed = await provider.reload();
          if (changed.identityChanged) {
            logCertificate(log, "Reloaded the TLS certificate", provider, now());
          }
          if (changed.caChanged) logClientCa(log, "Reloaded the TLS client CA bundle", provider);
        } catch (err) {
          log.error(
            err,
            "Cannot reload the TLS files; still serving the previous certificate",
            "certFile",
            options.certFile,
            "keyFile",
            options.keyFile,
          );
        }
      } while (again);
    } finally {
      running = false;
    }
  };

  const dirs = [
    ...new Set(
      [options.certFile, options.keyFile, options.clientCaFile].filter((f) => f !== "")
        .map((f) => dirname(f)),
    ),
  ];
  const fallbackIntervalMs = options.fallbackIntervalMs ?? DEFAULT_FALLBACK_INTERVAL_MS;
  const watch: DirectoryWatch = watchDirectories(dirs, reload, {
    debounceMs: options.debounceMs,
    fallbackIntervalMs,
    onFallback: (err) =>
      log.error(
        err,
        "Cannot watch the TLS directories; re-reading the files on an interval instead",
        "interval",
        `${fallbackIntervalMs}ms`,
      ),
  });
  log.info("TLS is on for the TCP listener", "mutualTls", mutual, "watching", dirs.join(","));
  return { mutual, provider, stop: () => watch.close() };
}

function logCertificate(
  log: Logger,
  msg: string,
  provider: ReloadingCertificateProvider,
  now: Date,
): void {
  const info = provider.identity!.info;
  log.info(msg, ...certificateValues(info));
  if (isExpired(info, now)) {
    log.warning(
      "The TLS certificate is outside its validity period; clients will refuse it",
      ...certificateValues(info),
    );
  }
}

function logClientCa(log: Logger, msg: string, provider: ReloadingCertificateProvider): void {
  const certificates = provider.clientCa!.certificates;
  log.info(
    msg,
    "certificates",
    certificates.length,
    "subjects",
    certificates.map((c) => c.subject).join("; "),
  );
}

function certificateValues(info: CertificateInfo): unknown[] {
  return [
    "subject",
    info.subject,
    "issuer",
    info.issuer,
    "notAfter",
    info.notAfter.toISOString(),
    "fingerprint",
    info.fingerprint,
  ];
}
