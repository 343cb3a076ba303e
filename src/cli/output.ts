/**
 * Where the CLI writes, and the JSON and YAML printers shared by its commands.
 *
 * @module
 */
import { stringify } from "yaml";
import type { JsonObject } from "../api/mod.ts";

/** The CLI's two output streams; tests and embedders pass their own. */
export interface CliIo {
  /** Writes to standard output: the result a script reads. */
  out(text: string): void;
  /** Writes to standard error: errors and notes for the person. */
  err(text: string): void;
}

const encoder = new TextEncoder();

function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/**
 * The process's stdout and stderr, written synchronously so that lines keep their order and
 * nothing is lost when the CLI exits right after.
 *
 * @throws {Deno.errors.BrokenPipe} from out() when the reader went away (`| head`)
 */
export function stdio(): CliIo {
  return {
    out: (text) => writeAllSync(Deno.stdout, text),
    err: (text) => writeAllSync(Deno.stderr, text),
  };
}

/**
 * Prints an object as `-o json` (indented by 4, as kubectl) or `-o yaml`.
 *
 * @param io where to write
 * @param format "json" or "yaml"
 * @param value the protobuf JSON object
 */
export function printObject(io: CliIo, format: "json" | "yaml", value: JsonObject): void {
  io.out(objectText(format, value));
}

/**
 * An object as `-o json` (indented by 4, as kubectl) or `-o yaml` writes it.
 *
 * @param format "json" or "yaml"
 * @param value the protobuf JSON object
 * @returns the text, ending with a newline
 * @example Usage
 * ```ts
 * import { objectText } from "./output.ts";
 * objectText("yaml", { name: "gpu-0" }); // "name: gpu-0\n"
 * ```
 */
export function objectText(format: "json" | "yaml", value: JsonObject): string {
  // YAML 1.1 quoting keeps timestamps and yes/no strings strings for 1.1 parsers too; no folding.
  return format === "json"
    ? `${JSON.stringify(value, null, 4)}\n`
    : stringify(value, { version: "1.1", lineWidth: 0 });
}
