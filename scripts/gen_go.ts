/**
 * `deno task gen-go`: regenerates the Go code of the API module (`api/gen/go/`) from `proto/`
 * with protoc, protoc-gen-go and protoc-gen-go-grpc (Debian: protobuf-compiler, protoc-gen-go,
 * protoc-gen-go-grpc). A test regenerates into a temporary folder and fails when the committed
 * code differs.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;

/** The protos the Go module is generated from, relative to `proto/`. */
export const GO_PROTOS = ["device/v1alpha1/gpu.proto", "device/v1alpha1/provider.proto"];

/** Folder of the committed generated code, relative to the repository root. */
export const GO_GEN_DIR = "api/gen/go";

/**
 * Runs protoc for every file of {@linkcode GO_PROTOS}, writing `device/v1alpha1/*.go` under `outDir`.
 *
 * @throws {Error} with protoc's output when it fails
 */
export async function generateGo(outDir: string, root = ROOT): Promise<void> {
  await Deno.mkdir(outDir, { recursive: true });
  const { code, stderr } = await new Deno.Command("protoc", {
    args: [
      `-I${root}proto`,
      // The well-known types (empty, timestamp, duration) from Debian's libprotobuf-dev / protoc.
      "-I/usr/include",
      `--go_out=${outDir}`,
      "--go_opt=paths=source_relative",
      `--go-grpc_out=${outDir}`,
      "--go-grpc_opt=paths=source_relative",
      ...GO_PROTOS,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`protoc failed (exit ${code}): ${new TextDecoder().decode(stderr)}`);
  }
}

if (import.meta.main) {
  const out = `${ROOT}${GO_GEN_DIR}`;
  await Deno.remove(`${out}/device`, { recursive: true }).catch(() => {});
  await generateGo(out);
  console.log(`Generated ${GO_PROTOS.length} protos into ${GO_GEN_DIR}/device/v1alpha1`);
}
