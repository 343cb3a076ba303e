/**
 * `version`: the client's release and, unless `--client`, the server's, asked over the
 * ServerInfoService, as `kubectl version` prints both.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../api/mod.ts";
import { callUnary } from "../client/mod.ts";
import { SERVER_INFO_SERVICE, type ServerVersion, serverVersion } from "../version/mod.ts";
import type { CliCommand } from "./commands.ts";
import { objectText } from "./output.ts";
import type { CliIo } from "./output.ts";

type VersionCommand = Extract<CliCommand, { verb: "version" }>;

const ServerInfoClient = grpc.makeGenericClientConstructor(
  serviceDefinition(SERVER_INFO_SERVICE),
  "ServerInfoService",
);

/** Where the server is, as run_cli builds its channels. */
export interface ServerChannel {
  readonly target: string;
  readonly credentials: grpc.ChannelCredentials;
  readonly options: grpc.ChannelOptions;
  readonly timeoutMs: number;
}

/**
 * Runs `version`: prints the client's version, then asks the server for its own.
 *
 * @param command the checked command
 * @param io where to print
 * @param channel the server, or undefined with `--client`
 * @throws the gRPC error when the server cannot be asked
 */
export async function runVersion(
  command: VersionCommand,
  io: CliIo,
  channel: ServerChannel | undefined,
): Promise<void> {
  const client = serverVersion();
  const structured = command.output === "json" || command.output === "yaml";
  if (!structured) io.out(versionLine("Client", client));
  const server = channel === undefined ? undefined : await askServer(channel);
  if (structured) {
    const json = {
      clientVersion: { ...client },
      ...(server ? { serverVersion: { ...server } } : {}),
    };
    io.out(objectText(command.output as "json" | "yaml", json));
  } else if (server !== undefined) {
    io.out(versionLine("Server", server));
  }
}

function versionLine(who: string, v: ServerVersion): string {
  return `${who} Version: v${v.version} (${v.runtime}, ${v.platform})\n`;
}

function askServer(channel: ServerChannel): Promise<ServerVersion> {
  const client = new ServerInfoClient(channel.target, channel.credentials, channel.options);
  return callUnary<ServerVersion>(client, "GetServerVersion", {}, {
    provider: undefined,
    timeoutMs: channel.timeoutMs,
  }).finally(() => client.close());
}
