/**
 * A strict structural check of request bytes before protobufjs decodes them.
 *
 * protobufjs decodes leniently: it reads a known field whatever its wire
 * type, and its Buffer reader clamps a string that runs past the end of the
 * message. A truncated DeleteGpu for "gpu-10" would then delete "gpu-1", and
 * a field sent with the wrong wire type would swallow the fields after it.
 * This pass rejects such input as malformed (INVALID_ARGUMENT) instead:
 * field number 0, a known field with the wrong wire type, a length or
 * varint past the end of its message, an unbalanced or too deeply nested
 * group, and a proto3 string that is not UTF-8. Unknown fields stay accepted.
 *
 * @module
 */
import protobuf from "protobufjs";

/** Deepest nesting of unknown groups accepted. */
const MAX_GROUP_DEPTH = 32;

const WIRE_NAMES = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit"];
const utf8 = new TextDecoder("utf-8", { fatal: true });
// Wire type of each scalar type, and the scalar types that may be packed.
const BASIC = protobuf.types.basic as Readonly<Record<string, number>>;
const PACKED = protobuf.types.packed as Readonly<Record<string, number>>;

// Where a check is, as a chain of wire (snake_case) field names. Only an error message reads it,
// so the text is built only then: well-formed requests pay one small object per field.
interface Path {
  readonly parent: Path | undefined;
  readonly name: string;
}

function child(parent: Path | undefined, name: string): Path {
  return { parent, name };
}

function text(path: Path | undefined): string {
  return path ? (path.parent ? `${text(path.parent)}.${path.name}` : path.name) : "request";
}

/**
 * Finds what makes `bytes` malformed as a message of `type`.
 *
 * @returns a description naming the field, or null when the bytes are well-formed
 */
export function wireProblem(type: protobuf.Type, bytes: Uint8Array): string | null {
  // The plain Reader bounds-checks every read (BufferReader clamps strings).
  const r = new protobuf.Reader(bytes);
  try {
    checkMessage(type, r, bytes.length, undefined);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function checkMessage(
  type: protobuf.Type,
  r: protobuf.Reader,
  end: number,
  path: Path | undefined,
): void {
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.uint32();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 0) throw new Error(`invalid field number 0 at offset ${at}`);
    const field = type.fieldsById[no];
    if (!field) {
      skipUnknown(r, end, no, wt, 0);
    } else {
      checkField(field, r, end, child(path, snake(field.name)), wt);
    }
    if (r.pos > end) throw new Error(`field ${text(path)}: message is truncated`);
  }
}

function checkField(
  field: protobuf.Field,
  r: protobuf.Reader,
  end: number,
  path: Path,
  wt: number,
): void {
  field.resolve();
  if (field instanceof protobuf.MapField) {
    expectWireType(path, wt, 2);
    const entryEnd = lengthEnd(r, end, path);
    while (r.pos < entryEnd) {
      const tag = r.uint32();
      const no = tag >>> 3;
      if (no === 1) checkValue(field.keyType, null, r, entryEnd, child(path, "key"), tag & 7);
      else if (no === 2) {
        checkValue(field.type, field.resolvedType, r, entryEnd, child(path, "value"), tag & 7);
      } else if (no === 0) throw new Error(`field ${text(path)}: invalid field number 0`);
      else skipUnknown(r, entryEnd, no, tag & 7, 0);
    }
    if (r.pos !== entryEnd) throw new Error(`field ${text(path)}: map entry is truncated`);
    return;
  }
  const packable = field.repeated && PACKED[field.type] !== undefined;
  if (packable && wt === 2) {
    r.pos = lengthEnd(r, end, path); // packed scalars: the element bytes are not inspected
    return;
  }
  checkValue(field.type, field.resolvedType, r, end, path, wt);
}

function checkValue(
  typeName: string,
  resolved: protobuf.Type | protobuf.Enum | null,
  r: protobuf.Reader,
  end: number,
  path: Path,
  wt: number,
): void {
  if (resolved instanceof protobuf.Type) {
    expectWireType(path, wt, 2);
    const nestedEnd = lengthEnd(r, end, path);
    checkMessage(resolved, r, nestedEnd, path);
    return;
  }
  const expected = resolved instanceof protobuf.Enum ? 0 : BASIC[typeName];
  if (expected === undefined) {
    throw new Error(`field ${text(path)}: unsupported type ${typeName}`);
  }
  expectWireType(path, wt, expected);
  if (expected === 2) {
    const valueEnd = lengthEnd(r, end, path);
    if (typeName === "string") {
      try {
        utf8.decode(r.buf.subarray(r.pos, valueEnd));
      } catch {
        throw new Error(`field ${text(path)}: string is not valid UTF-8`);
      }
    }
    r.pos = valueEnd;
  } else skipScalar(r, end, path, expected);
}

function skipUnknown(r: protobuf.Reader, end: number, no: number, wt: number, depth: number): void {
  const path = `unknown field ${no}`;
  const unknown = child(undefined, path);
  if (wt === 2) {
    r.pos = lengthEnd(r, end, unknown);
  } else if (wt === 3) {
    if (depth >= MAX_GROUP_DEPTH) throw new Error(`${path}: groups nested too deeply`);
    while (true) {
      if (r.pos >= end) throw new Error(`${path}: group is not terminated`);
      const tag = r.uint32();
      if ((tag & 7) === 4) {
        if (tag >>> 3 !== no) throw new Error(`${path}: group ends with field ${tag >>> 3}`);
        return;
      }
      if (tag >>> 3 === 0) throw new Error(`${path}: invalid field number 0 in a group`);
      skipUnknown(r, end, tag >>> 3, tag & 7, depth + 1);
    }
  } else if (wt === 4) {
    throw new Error(`${path}: end-group without a start-group`);
  } else if (wt === 0 || wt === 1 || wt === 5) {
    skipScalar(r, end, unknown, wt);
  } else {
    throw new Error(`${path}: invalid wire type ${wt}`);
  }
}

function skipScalar(r: protobuf.Reader, end: number, path: Path, wt: number): void {
  if (wt === 0) r.uint64(); // throws past the end or beyond 10 bytes
  else r.pos += wt === 1 ? 8 : 4;
  if (r.pos > end) throw new Error(`field ${text(path)}: value is truncated`);
}

function lengthEnd(r: protobuf.Reader, end: number, path: Path): number {
  const length = r.uint32();
  if (r.pos + length > end) {
    throw new Error(
      `field ${text(path)}: length ${length} runs past the end of the message (${
        end - r.pos
      } bytes left)`,
    );
  }
  return r.pos + length;
}

function expectWireType(path: Path, wt: number, expected: number): void {
  if (wt !== expected) {
    throw new Error(
      `field ${text(path)}: wire type ${WIRE_NAMES[wt] ?? wt}, expected ${WIRE_NAMES[expected]}`,
    );
  }
}

// Wire names by protobufjs (camelCase) name: the schema's few dozen fields, never request data.
const SNAKE = new Map<string, string>();

function snake(name: string): string {
  let wire = SNAKE.get(name);
  if (wire === undefined) {
    wire = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    SNAKE.set(name, wire);
  }
  return wire;
}
