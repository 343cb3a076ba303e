/**
 * Kubernetes label selectors with the grammar and semantics of apimachinery's
 * `labels.Parse`: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`
 * (exists), `!a` (does not exist), `a>1` and `a<1` (integer comparison),
 * joined by commas.
 *
 * Parsed by a hand-written lexer and a recursive-descent parser, one pass
 * each, so the time is linear in the selector's length whatever it holds (no
 * regular expression, no backtracking). The caps below bound both the parse
 * and the cost of evaluating a selector against every event of a watch.
 *
 * @example Usage
 * ```ts
 * import { parseLabelSelector } from "./label_selector.ts";
 * const matches = parseLabelSelector("zone=a,!drained");
 * matches({ zone: "a" }); // true
 * ```
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.ts";
import { compileRequirements, parseLabelInt, type Requirement } from "./label_requirement.ts";
import { isLabelValue, isQualifiedName } from "./validation.ts";

/** A compiled selector; true when the labels match every requirement. */
export type LabelMatcher = (labels: Readonly<Record<string, string>>) => boolean;

/** Longest selector accepted, in characters. */
export const MAX_SELECTOR_CHARS = 4096;
/** Most requirements (comma-separated terms) in one selector. */
export const MAX_SELECTOR_REQUIREMENTS = 64;
/** Most values in the set of one `in` or `notin` requirement. */
export const MAX_SELECTOR_VALUES = 256;

/** Matches every label set; the selector of an empty string. */
export const MATCH_ALL: LabelMatcher = () => true;

/**
 * Compiles a selector string.
 *
 * @param selector the selector; empty or blank matches everything
 * @param field the request field named in errors
 * @throws {InvalidArgumentError} when the selector does not parse, breaks a
 *   key or value rule, or exceeds a cap (the message says which)
 */
export function parseLabelSelector(selector: string, field = "opts.label_selector"): LabelMatcher {
  if (selector.length > MAX_SELECTOR_CHARS) {
    throw new InvalidArgumentError(
      field,
      `selector too long: ${selector.length} characters, the limit is ${MAX_SELECTOR_CHARS}`,
    );
  }
  const cached = COMPILED.get(selector);
  if (cached) return cached;
  const requirements = new Parser(lex(selector), field).parse();
  const matcher = requirements.length === 0 ? MATCH_ALL : compileRequirements(requirements);
  // Watchers usually share a few selectors: compile each once. Bounded, oldest first out.
  if (COMPILED.size >= COMPILED_CACHE_SIZE) COMPILED.delete(COMPILED.keys().next().value!);
  COMPILED.set(selector, matcher);
  return matcher;
}

const COMPILED_CACHE_SIZE = 128;
const COMPILED = new Map<string, LabelMatcher>();

// Token kinds, as in apimachinery's lexer.
type Kind =
  | "end"
  | "id"
  | "in"
  | "notin"
  | "("
  | ")"
  | ","
  | "!"
  | "="
  | "=="
  | "!="
  | ">"
  | "<";

interface Token {
  kind: Kind;
  text: string;
}

const SPECIAL = new Set(["=", "!", "(", ")", ",", ">", "<"]);
const SYMBOLS = new Set<string>([")", ",", "!", "==", "=", ">", "<", "!=", "("]);

function isSpace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

// One pass over the selector. A run of special characters yields the longest
// prefix that is a symbol, as apimachinery's scanSpecialSymbol does; any
// other run up to whitespace or a special character is an identifier or a
// keyword.
function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (isSpace(ch)) {
      i++;
    } else if (SPECIAL.has(ch)) {
      const two = input.slice(i, i + 2);
      const text = SYMBOLS.has(two) ? two : ch; // every special character is a symbol alone
      tokens.push({ kind: text as Kind, text });
      i += text.length;
    } else {
      const start = i;
      while (i < input.length && !isSpace(input[i]!) && !SPECIAL.has(input[i]!)) i++;
      const text = input.slice(start, i);
      tokens.push({ kind: text === "in" || text === "notin" ? text : "id", text });
    }
  }
  tokens.push({ kind: "end", text: "" });
  return tokens;
}

// apimachinery parses keys and values in a "values" context, where the
// keywords `in` and `notin` are plain identifiers; only the operator position
// reads them as keywords.
function asValue(kind: Kind): Kind {
  return kind === "in" || kind === "notin" ? "id" : kind;
}

class Parser {
  readonly #tokens: Token[];
  readonly #field: string;
  #pos = 0;

  constructor(tokens: Token[], field: string) {
    this.#tokens = tokens;
    this.#field = field;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    let kind = this.#peek();
    if (kind === "end") return requirements;
    if (kind !== "id" && kind !== "!") this.#fail("expected: !, identifier, or end of string");
    for (;;) {
      if (requirements.length === MAX_SELECTOR_REQUIREMENTS) {
        this.#cap(`too many requirements: the limit is ${MAX_SELECTOR_REQUIREMENTS} per selector`);
      }
      requirements.push(this.#requirement());
      const next = this.#next();
      if (next.kind === "end") return requirements;
      if (next.kind !== ",") this.#fail("expected: ',' or end of string", next);
      kind = this.#peek();
      if (kind !== "id" && kind !== "!") this.#fail("expected: identifier after ','");
    }
  }

  #requirement(): Requirement {
    let token = this.#next();
    const negated = token.kind === "!";
    if (negated) token = this.#next();
    if (asValue(token.kind) !== "id") this.#fail("expected: identifier", token);
    const key = token.text;
    if (!isQualifiedName(key)) {
      this.#invalid(
        `invalid key ${JSON.stringify(key.slice(0, 64))}: a name of at most 63 characters of ` +
          "[A-Za-z0-9._-] with an optional DNS subdomain prefix and '/'",
      );
    }
    const after = this.#peek();
    if (negated) return { key, op: "!" };
    if (after === "end" || after === ",") return { key, op: "exists" };
    const op = this.#next();
    switch (op.kind) {
      case "in":
      case "notin":
        return { key, op: op.kind, values: this.#values(key) };
      case "=":
      case "==":
      case "!=":
        return { key, op: op.kind === "!=" ? "!=" : "=", value: this.#exactValue(key) };
      case ">":
      case "<": {
        const value = this.#exactValue(key);
        const n = parseLabelInt(value);
        if (n === null) this.#invalid(`for '>' and '<', the value must be an integer: ${value}`);
        return { key, op: op.kind, bound: n };
      }
      default:
        return this.#fail("expected: in, notin, =, ==, !=, >, <", op);
    }
  }

  // `( v1, v2, ... )`, read as apimachinery's parseValues and
  // parseIdentifiersList do: `()` is the set of the empty value, and empty
  // items between commas are the empty value too.
  #values(key: string): Set<string> {
    const values = new Set<string>();
    let count = 0;
    const add = (value: string) => {
      if (++count > MAX_SELECTOR_VALUES) {
        this.#cap(`too many values in a set: the limit is ${MAX_SELECTOR_VALUES} per requirement`);
      }
      values.add(this.#checkValue(key, value));
    };
    const open = this.#next();
    if (open.kind !== "(") this.#fail("expected: '('", open);
    const first = this.#peek();
    if (first === ")") {
      this.#next();
      add("");
      return values;
    }
    if (first !== "id" && first !== ",") this.#fail("expected: ',', ')' or identifier");
    for (;;) {
      const token = this.#next();
      const kind = asValue(token.kind);
      if (kind === "id") {
        add(token.text);
        const after = this.#peek();
        if (after === ")") break;
        if (after !== ",") this.#fail("expected: ',' or ')'");
      } else if (kind === ",") {
        if (count === 0) add("");
        const after = this.#peek();
        if (after === ")") {
          add("");
          break;
        }
        if (after === ",") {
          this.#next();
          add("");
        }
      } else {
        this.#fail("expected: ',', or identifier", token);
      }
    }
    this.#next(); // the ")"
    return values;
  }

  #exactValue(key: string): string {
    const kind = this.#peek();
    if (kind === "end" || kind === ",") return "";
    const token = this.#next();
    if (asValue(token.kind) !== "id") this.#fail("expected: identifier", token);
    return this.#checkValue(key, token.text);
  }

  #checkValue(key: string, value: string): string {
    if (!isLabelValue(value)) {
      this.#invalid(
        `invalid value ${JSON.stringify(value.slice(0, 64))} for key ${JSON.stringify(key)}: ` +
          "at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric",
      );
    }
    return value;
  }

  #peek(): Kind {
    return asValue(this.#tokens[this.#pos]!.kind);
  }

  #next(): Token {
    const token = this.#tokens[this.#pos]!;
    if (token.kind !== "end") this.#pos++;
    return token;
  }

  #fail(expected: string, found: Token = this.#tokens[this.#pos]!): never {
    this.#invalid(`unable to parse requirement: found ${JSON.stringify(found.text)}, ${expected}`);
  }

  #cap(message: string): never {
    this.#invalid(message);
  }

  #invalid(message: string): never {
    throw new InvalidArgumentError(this.#field, message);
  }
}
