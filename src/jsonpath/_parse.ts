/**
 * The parser of kubectl-style JSONPath templates. One pass over the text with an index: no
 * regular expressions, so parsing is linear in the template's length.
 *
 * @module
 */

/** One step of a path. */
export type Step =
  | { readonly op: "field"; readonly name: string }
  | { readonly op: "descend"; readonly name: string }
  | { readonly op: "wildcard" }
  | { readonly op: "index"; readonly index: number }
  | { readonly op: "slice"; readonly start?: number; readonly end?: number }
  | {
    readonly op: "filter";
    readonly path: readonly Step[];
    readonly compare?: { readonly not: boolean; readonly value: string | number | boolean };
  };

/** A part of a template: text, a path's values, or a range over a path with its body. */
export type Node =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "path"; readonly root: boolean; readonly steps: readonly Step[] }
  | {
    readonly kind: "range";
    readonly root: boolean;
    readonly steps: readonly Step[];
    readonly body: readonly Node[];
  };

const NAME_STOP = new Set([".", "[", "]", "(", ")", "{", "}", "=", "!", ",", " ", "\t", "'", '"']);

/**
 * Parses a template such as `{range .items[*]}{.metadata.name}{"\n"}{end}`.
 *
 * @param template the template text
 * @returns its nodes
 * @throws {SyntaxError} naming the position of the first mistake
 */
export function parseTemplate(template: string): Node[] {
  return new Parser(template).nodes(false);
}

class Parser {
  readonly #s: string;
  #i = 0;

  constructor(text: string) {
    this.#s = text;
  }

  /** Nodes up to the end of the text, or up to `{end}` inside a range. */
  nodes(inRange: boolean): Node[] {
    const out: Node[] = [];
    while (this.#i < this.#s.length) {
      const open = this.#s.indexOf("{", this.#i);
      const stop = open < 0 ? this.#s.length : open;
      if (stop > this.#i) out.push({ kind: "text", text: this.#s.slice(this.#i, stop) });
      if (open < 0) {
        this.#i = this.#s.length;
        break;
      }
      this.#i = open + 1;
      this.#spaces();
      if (this.#word("end")) {
        this.#close();
        if (!inRange) throw this.#error("{end} without {range}");
        return out;
      }
      if (this.#word("range")) {
        const { root, steps } = this.#path();
        this.#close();
        out.push({ kind: "range", root, steps, body: this.nodes(true) });
        continue;
      }
      const c = this.#s[this.#i];
      if (c === '"' || c === "'") {
        out.push({ kind: "text", text: this.#quoted() });
      } else {
        out.push({ kind: "path", ...this.#path() });
      }
      this.#close();
    }
    if (inRange) throw this.#error("{range} without {end}");
    return out;
  }

  #path(): { root: boolean; steps: Step[] } {
    this.#spaces();
    let root = false;
    if (this.#s[this.#i] === "$") {
      root = true;
      this.#i++;
    } else if (this.#s[this.#i] === "@") {
      this.#i++;
    }
    return { root, steps: this.#steps() };
  }

  #steps(): Step[] {
    const steps: Step[] = [];
    for (;;) {
      const c = this.#s[this.#i];
      if (c === "." && this.#s[this.#i + 1] === ".") {
        this.#i += 2;
        steps.push({ op: "descend", name: this.#name() });
      } else if (c === ".") {
        this.#i++;
        if (this.#s[this.#i] === "*") {
          this.#i++;
          steps.push({ op: "wildcard" });
        } else {
          const name = this.#name();
          if (name !== "") steps.push({ op: "field", name });
        }
      } else if (c === "[") {
        this.#i++;
        steps.push(this.#bracket());
      } else {
        return steps;
      }
    }
  }

  #bracket(): Step {
    this.#spaces();
    const c = this.#s[this.#i];
    let step: Step;
    if (c === "*") {
      this.#i++;
      step = { op: "wildcard" };
    } else if (c === "'" || c === '"') {
      step = { op: "field", name: this.#quoted() };
    } else if (c === "?") {
      this.#i++;
      this.#expect("(");
      this.#spaces();
      this.#expect("@");
      const path = this.#steps();
      this.#spaces();
      let compare: { not: boolean; value: string | number | boolean } | undefined;
      if (this.#s.startsWith("==", this.#i) || this.#s.startsWith("!=", this.#i)) {
        const not = this.#s[this.#i] === "!";
        this.#i += 2;
        this.#spaces();
        compare = { not, value: this.#literal() };
        this.#spaces();
      }
      this.#expect(")");
      step = { op: "filter", path, ...(compare === undefined ? {} : { compare }) };
    } else {
      const start = this.#int();
      this.#spaces();
      if (this.#s[this.#i] === ":") {
        this.#i++;
        this.#spaces();
        const end = this.#int();
        step = {
          op: "slice",
          ...(start === undefined ? {} : { start }),
          ...(end === undefined ? {} : { end }),
        };
      } else {
        if (start === undefined) throw this.#error("expected an index, a slice, * or a name");
        step = { op: "index", index: start };
      }
    }
    this.#spaces();
    this.#expect("]");
    return step;
  }

  #literal(): string | number | boolean {
    const c = this.#s[this.#i];
    if (c === '"' || c === "'") return this.#quoted();
    if (this.#word("true")) return true;
    if (this.#word("false")) return false;
    const n = this.#int();
    if (n === undefined) throw this.#error("expected a quoted string, a number, true or false");
    return n;
  }

  #name(): string {
    const start = this.#i;
    while (this.#i < this.#s.length && !NAME_STOP.has(this.#s[this.#i]!)) this.#i++;
    return this.#s.slice(start, this.#i);
  }

  #int(): number | undefined {
    const start = this.#i;
    if (this.#s[this.#i] === "-") this.#i++;
    while (this.#i < this.#s.length && this.#s[this.#i]! >= "0" && this.#s[this.#i]! <= "9") {
      this.#i++;
    }
    const text = this.#s.slice(start, this.#i);
    if (text === "" || text === "-") {
      this.#i = start;
      return undefined;
    }
    return Number(text);
  }

  // A quoted string with \n, \t, \r and \<char> escapes.
  #quoted(): string {
    const quote = this.#s[this.#i]!;
    this.#i++;
    let out = "";
    while (this.#i < this.#s.length) {
      const c = this.#s[this.#i++]!;
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.#s[this.#i++];
      out += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : (e ?? "");
    }
    throw this.#error("unterminated string");
  }

  #word(word: string): boolean {
    if (!this.#s.startsWith(word, this.#i)) return false;
    const after = this.#s[this.#i + word.length];
    if (after !== undefined && !NAME_STOP.has(after)) return false;
    this.#i += word.length;
    return true;
  }

  #close(): void {
    this.#spaces();
    this.#expect("}");
  }

  #expect(c: string): void {
    if (this.#s[this.#i] !== c) throw this.#error(`expected ${JSON.stringify(c)}`);
    this.#i++;
  }

  #spaces(): void {
    while (this.#s[this.#i] === " " || this.#s[this.#i] === "\t") this.#i++;
  }

  #error(what: string): SyntaxError {
    const found = this.#i < this.#s.length ? JSON.stringify(this.#s[this.#i]) : "the end";
    return new SyntaxError(
      `Cannot parse JSONPath template: ${what} at offset ${this.#i}, found ${found}`,
    );
  }
}
