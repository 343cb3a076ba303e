/**
 * Runs a program for the test tools and returns its standard output.
 *
 * @module
 */

/**
 * Runs `program` with `args` in `cwd`.
 *
 * @returns standard output
 * @throws {Error} with the exit code and standard error when the program fails
 */
export async function runChecked(program: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(program, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `Cannot run ${program} ${args.join(" ")}: exit code ${out.code}\n${dec.decode(out.stderr)}`,
    );
  }
  return dec.decode(out.stdout);
}

/** True when `path` is a regular file (false when it is missing or not a file). */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
