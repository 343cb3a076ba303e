/**
 * Python stubs of the GpuService for interop tests and the Python example, generated with
 * Debian's grpc_tools (installed on demand).
 *
 * @module
 */
import { DEBIAN_PYTHON, ensurePythonModules } from "../_tools/apt.ts";
import { REPO_ROOT } from "./server_process.ts";

/**
 * Generates `device/v1alpha1/gpu_pb2*.py` into a new temporary folder and returns it (the caller
 * removes it).
 *
 * @throws {Error} with protoc's output when generation fails
 */
export async function generatePythonStubs(): Promise<string> {
  await ensurePythonModules(["python3-grpcio", "python3-grpc-tools"], ["grpc", "grpc_tools"]);
  const stubs = await Deno.makeTempDir({ prefix: "das-py-" });
  const gen = await new Deno.Command(DEBIAN_PYTHON, {
    args: [
      "-m",
      "grpc_tools.protoc",
      `-I${REPO_ROOT}proto`,
      "-I/usr/lib/python3/dist-packages/grpc_tools/_proto",
      `--python_out=${stubs}`,
      `--grpc_python_out=${stubs}`,
      `${REPO_ROOT}proto/device/v1alpha1/gpu.proto`,
    ],
    stderr: "piped",
  }).output();
  if (!gen.success) {
    await Deno.remove(stubs, { recursive: true });
    throw new Error(`Cannot generate Python stubs: ${new TextDecoder().decode(gen.stderr)}`);
  }
  return stubs;
}
