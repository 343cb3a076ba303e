/**
 * TLS and mutual TLS for the TCP listener, with certificates re-read when
 * their files change (cert-manager Secret rotation) instead of on restart.
 * The Unix sockets stay plaintext: file modes guard them.
 *
 * @module
 */
export { startTcpTls, type TcpTls, type TcpTlsOptions } from "./tcp_tls.ts";
export {
  type MaterialListener,
  ReloadingCertificateProvider,
  type ReloadResult,
  type TlsFiles,
} from "./reloading_provider.ts";
export {
  type CaMaterial,
  type CertificateInfo,
  type IdentityMaterial,
  isExpired,
  parseCaBundle,
  parseIdentity,
} from "./pem.ts";
export {
  DEFAULT_DEBOUNCE_MS,
  DEFAULT_FALLBACK_INTERVAL_MS,
  type DirectoryWatch,
  type DirectoryWatchOptions,
  watchDirectories,
} from "./dir_watcher.ts";
