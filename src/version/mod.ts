/**
 * Build and runtime version of device-api-server, for `--version`, logs, metrics and the
 * ServerInfoService that tells clients which release answers.
 *
 * @module
 */

import { VERSION } from "./_release.ts";

export { VERSION };
export { SERVER_INFO_SERVICE, serverInfoService, serverVersion } from "./service.ts";
export type { ServerVersion } from "./service.ts";

/**
 * One line naming this release and the runtime it runs on, so bug reports carry both.
 *
 * @returns e.g. `device-api-server v0.1.0 (deno 2.9.6, v8 15.0.245.2-rusty, typescript 6.0.3, linux x86_64)`
 * @example Usage
 * ```ts
 * import { versionText } from "./mod.ts";
 * console.log(versionText());
 * ```
 */
export function versionText(): string {
  const { deno, v8, typescript } = Deno.version;
  const { os, arch } = Deno.build;
  return `device-api-server v${VERSION} ` +
    `(deno ${deno}, v8 ${v8}, typescript ${typescript}, ${os} ${arch})`;
}
