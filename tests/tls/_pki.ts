/**
 * Throwaway certificates for the TLS tests, made with the openssl CLI at
 * test time (EC P-256, valid for a day), and TLS clients of the server.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { DeviceApiClient } from "../../src/client/mod.ts";
import { ensureDebianPackages } from "../_tools/apt.ts";

/** A key pair and certificate on disk. */
export interface Issued {
  readonly name: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Runs openssl, failing with its stderr. */
async function openssl(args: string[]): Promise<void> {
  await ensureDebianPackages(["openssl"], ["openssl"]);
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `Cannot run openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Creates a self-signed CA named `name` in `dir`. */
export async function makeCa(dir: string, name: string): Promise<Issued> {
  const issued = { name, certFile: `${dir}/${name}.crt`, keyFile: `${dir}/${name}.key` };
  await openssl([
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    issued.keyFile,
    "-out",
    issued.certFile,
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return issued;
}

/** Issues a server certificate for 127.0.0.1 and localhost, or a client certificate. */
export async function issue(
  dir: string,
  ca: Issued,
  name: string,
  usage: "server" | "client",
): Promise<Issued> {
  const issued = { name, certFile: `${dir}/${name}.crt`, keyFile: `${dir}/${name}.key` };
  const csr = `${dir}/${name}.csr`;
  const ext = `${dir}/${name}.ext`;
  await Deno.writeTextFile(
    ext,
    usage === "server"
      ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
      : `subjectAltName=DNS:${name}\nextendedKeyUsage=clientAuth\n`,
  );
  await openssl([
    "req",
    "-new",
    ...EC_KEY,
    "-keyout",
    issued.keyFile,
    "-out",
    csr,
    "-subj",
    `/CN=${name}`,
  ]);
  const serial = `0x${crypto.randomUUID().replaceAll("-", "")}`;
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-set_serial",
    serial,
    "-days",
    "1",
    "-extfile",
    ext,
    "-out",
    issued.certFile,
  ]);
  return issued;
}

/** Two CAs, each with a server and a client certificate, in a new temporary directory. */
export interface Pki {
  readonly dir: string;
  readonly ca1: Issued;
  readonly server1: Issued;
  readonly client1: Issued;
  readonly ca2: Issued;
  readonly server2: Issued;
  readonly client2: Issued;
}

/** Creates the two-CA test PKI; its directory is removed when the test module unloads. */
export async function makePki(): Promise<Pki> {
  const dir = await Deno.makeTempDir({ prefix: "das-pki-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const [ca1, ca2] = await Promise.all([makeCa(dir, "ca1"), makeCa(dir, "ca2")]);
  const [server1, client1, server2, client2] = await Promise.all([
    issue(dir, ca1, "server1", "server"),
    issue(dir, ca1, "client1", "client"),
    issue(dir, ca2, "server2", "server"),
    issue(dir, ca2, "client2", "client"),
  ]);
  return { dir, ca1, server1, client1, ca2, server2, client2 };
}

/** Copies `issued` to `<dir>/tls.crt` and `<dir>/tls.key` by writing temporary files and renaming them. */
export async function installIdentity(dir: string, issued: Issued): Promise<void> {
  for (const [from, to] of [[issued.keyFile, "tls.key"], [issued.certFile, "tls.crt"]]) {
    await Deno.copyFile(from!, `${dir}/.${to}.tmp`);
    await Deno.rename(`${dir}/.${to}.tmp`, `${dir}/${to}`);
  }
}

/**
 * A client of the TLS listener at `address` (`127.0.0.1:PORT`) that trusts
 * `ca` and, when given, presents `identity`. The name checked is
 * "localhost": Deno's TLS client refuses an IP address as server name.
 */
export function tlsClient(address: string, ca: Issued, identity?: Issued): DeviceApiClient {
  const read = (file: string) => Buffer.from(Deno.readFileSync(file));
  return new DeviceApiClient(address, {
    timeoutMs: 5_000,
    credentials: grpc.credentials.createSsl(
      read(ca.certFile),
      identity ? read(identity.keyFile) : null,
      identity ? read(identity.certFile) : null,
    ),
    channelOptions: { "grpc.ssl_target_name_override": "localhost" },
  });
}

/** The gRPC status code a call fails with, or "OK". */
export async function callStatus(call: Promise<unknown>): Promise<grpc.status | "OK"> {
  try {
    await call;
    return "OK";
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== "number") throw err;
    return code;
  }
}
