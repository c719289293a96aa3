/**
 * The token step of the shell reader: turns script text into words (quotes removed, `$'…'` decoded,
 * the script's own variables and positional parameters read), redirection operators, command
 * separators and parentheses. Substitutions (`$( … )`, backticks, `<( … )`) are lists of their own:
 * the lexer hands them to its host, which reads them with a lexer of their own on the same cursor, and
 * keeps their text as written in the word. Lazy, so that a variable set by one command is known
 * when the next is read. Never throws.
 */
import { ansiC, type Cursor, skipPast } from "./quoting.js";
import { exhaust, type SegmentBudget, type SubstitutionKind } from "./segment.js";
import { VARIABLE_NAME } from "./words.js";

/** What a script knows while it is read: its variables, positional parameters and allowance. */
export interface Scope {
  /** Values assigned earlier in the script; `$name` and `${name}` read as them. */
  readonly variables: ReadonlyMap<string, string>;
  /** `$0`, `$1`, … of a `sh -c` payload: the words after the payload; empty when none were given. */
  readonly positional: readonly string[];
  readonly budget: SegmentBudget;
}

/** The lexer's host: reads the list of a substitution whose opening the cursor has just passed. */
export type ReadSubstitution = (kind: SubstitutionKind, close: ")" | "`") => boolean;

export type Token =
  /**
   * A word after quote removal. `plain`: nothing in it was quoted, escaped or substituted, so brace
   * expansion applies; `split`: it took an unquoted variable's value, which the shell splits at blanks.
   */
  | { kind: "word"; text: string; plain: boolean; split: boolean }
  /** A redirection operator as written, without its file descriptor number; its target is the next word. */
  | { kind: "redirect"; op: string }
  // The rest carry no data, so that the builder's switch meets few object shapes (it is the hot loop).
  /** `|` or `|&`: the command ends and its output feeds the next one. */
  | { kind: "pipe" }
  /** `;`, `&`, `&&`, `||` or a newline: the command ends. */
  | { kind: "separator" }
  /** `(`: a subshell group opens. */
  | { kind: "open" }
  /** `)` closing a `(` of this list. */
  | { kind: "close" }
  /** A `)` with no `(` in this list: it only ends the command. */
  | { kind: "stray-close" }
  /** The end of the text, or the list's own terminator (consumed). */
  | { kind: "end" };

const END: Token = { kind: "end" };
const BREAK: Token = { kind: "separator" };
const PIPE: Token = { kind: "pipe" };
const OPEN: Token = { kind: "open" };
const CLOSE: Token = { kind: "close" };
const STRAY_CLOSE: Token = { kind: "stray-close" };

/** `$()`, `$( )`, ``` `` ```, `$(:)`, `$(true)`: command substitutions that print nothing. */
const EMPTY_SUBSTITUTION = /^(?:\$\(\s*(?:(?::|true|false)\s*)?\)|`\s*(?:(?::|true|false)\s*)?`)$/;

/** The tokens of one list: the whole script, or the inside of one substitution. */
export class Lexer {
  /** Parentheses of subshell groups opened in this list and not yet closed. */
  private parens = 0;
  /** A redirection met right after a word, delivered after it. */
  private queued: Token | undefined;
  /** The word being read took an unquoted variable's value. */
  private split = false;

  /**
   * @param terminator ")" for `$(`/`<(`, "`" for backticks, null for a whole script.
   * @param readSubstitution reads a nested list; false when it was not read (the lexer skips it).
   */
  constructor(
    private readonly cursor: Cursor,
    private readonly terminator: ")" | "`" | null,
    private readonly scope: Scope,
    private readonly readSubstitution: ReadSubstitution,
  ) {}

  private get text(): string {
    return this.cursor.text;
  }

  private get pos(): number {
    return this.cursor.pos;
  }

  private set pos(value: number) {
    this.cursor.pos = value;
  }

  /** The next token; `end` once the list is over (and again on every later call). */
  next(): Token {
    const queued = this.queued;
    if (queued !== undefined) {
      this.queued = undefined;
      return queued;
    }
    const text = this.text;
    let word = "";
    let started = false;
    let plain = true;
    this.split = false;
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      const next = text[this.pos + 1];
      if (
        (this.terminator === ")" && c === ")" && this.parens === 0) ||
        (this.terminator === "`" && c === "`")
      ) {
        if (started) return { kind: "word", text: word, plain, split: this.split };
        this.pos++;
        return END;
      }
      switch (c) {
        case " ":
        case "\t":
        case "\r":
          this.pos++;
          if (started) return { kind: "word", text: word, plain, split: this.split };
          break;
        case "#":
          if (started) {
            word += c;
            this.pos++;
          } else {
            const eol = text.indexOf("\n", this.pos);
            this.pos = eol === -1 ? text.length : eol;
          }
          break;
        case "\\":
          if (next === "\n") this.pos += 2;
          else {
            word += next ?? "\\";
            started = true;
            plain = false;
            this.pos += 2;
          }
          break;
        case "'": {
          const end = text.indexOf("'", this.pos + 1);
          const stop = end === -1 ? text.length : end;
          word += text.slice(this.pos + 1, stop);
          started = true;
          plain = false;
          this.pos = stop + 1;
          break;
        }
        case '"':
          this.pos++;
          word += this.doubleQuoted();
          started = true;
          plain = false;
          break;
        case "$":
          word += this.dollar(false);
          started = true;
          plain = false;
          break;
        case "`":
          this.pos++;
          word += this.substitution("`", "command", "`");
          started = true;
          plain = false;
          break;
        case "<":
        case ">": {
          if (next === "(" && !started) {
            this.pos += 2;
            word += this.substitution(`${c}(`, "process", ")");
            started = true;
            plain = false;
            break;
          }
          const redirect: Token = { kind: "redirect", op: this.redirectOperator() };
          // A word made only of digits right before the operator is its file descriptor.
          if (!started || /^\d+$/.test(word)) return redirect;
          this.queued = redirect;
          return { kind: "word", text: word, plain, split: this.split };
        }
        case "\n":
        case "|":
        case "&":
        case ";":
        case "(":
        case ")":
          if (started) return { kind: "word", text: word, plain, split: this.split };
          return this.operator(c, next);
        default:
          word += c;
          started = true;
          this.pos++;
      }
    }
    return started ? { kind: "word", text: word, plain, split: this.split } : END;
  }

  /** An operator character at the cursor, outside a word. */
  private operator(c: string, next: string | undefined): Token {
    switch (c) {
      case "|":
        if (next === "|") {
          this.pos += 2;
          return BREAK;
        }
        this.pos += next === "&" ? 2 : 1;
        return PIPE;
      case "&":
        if (next === "&") {
          this.pos += 2;
          return BREAK;
        }
        if (next === ">") {
          const append = this.text[this.pos + 2] === ">";
          this.pos += append ? 3 : 2;
          return { kind: "redirect", op: append ? "&>>" : "&>" };
        }
        this.pos++;
        return BREAK;
      case "(":
        this.parens++;
        this.pos++;
        return OPEN;
      case ")": {
        this.pos++;
        if (this.parens === 0) return STRAY_CLOSE;
        this.parens--;
        return CLOSE;
      }
      default:
        // ";" and "\n"
        this.pos++;
        return BREAK;
    }
  }

  /** Reads a substitution from just after its opening and returns the text it leaves in the word. */
  private substitution(open: string, kind: SubstitutionKind, close: ")" | "`"): string {
    const start = this.pos - open.length;
    if (!this.readSubstitution(kind, close)) skipPast(this.cursor, close);
    const written = this.text.slice(start, this.pos);
    // An empty command substitution (`cu$()rl`, ``w``get``) expands to nothing: the shell joins the halves.
    if (kind === "command" && EMPTY_SUBSTITUTION.test(written)) return "";
    return written;
  }

  private redirectOperator(): string {
    const text = this.text;
    for (const op of ["<<<", "<<-", "<<", "<>", "<&", ">>", ">|", ">&", "<", ">"]) {
      if (text.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    this.pos++;
    return text[this.pos - 1]!;
  }

  /** Reads a double-quoted string from just after its opening quote; substitutions inside still run. */
  private doubleQuoted(): string {
    const text = this.text;
    let value = "";
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (c === '"') {
        this.pos++;
        return value;
      }
      if (c === "\\") {
        const next = text[this.pos + 1];
        if (next !== undefined && '\\"$`\n'.includes(next)) {
          if (next !== "\n") value += next;
          this.pos += 2;
        } else {
          value += c;
          this.pos++;
        }
      } else if (c === "$") {
        value += this.dollar(true);
      } else if (c === "`") {
        this.pos++;
        value += this.substitution("`", "command", "`");
      } else {
        value += c;
        this.pos++;
      }
    }
    return value;
  }

  /** Reads a `$…` construct at this.pos and returns the text it contributes to the word. */
  private dollar(quoted: boolean): string {
    const text = this.text;
    const next = text[this.pos + 1];
    const special = this.specialParameter(quoted);
    if (special !== undefined) return special;
    // A variable the script set earlier reads as its value; an unknown one stays as written.
    const braced =
      next === "{" ? /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(text.slice(this.pos + 1, this.pos + 260)) : null;
    const name = braced?.[1] ?? VARIABLE_NAME.exec(text.slice(this.pos + 1, this.pos + 258))?.[0];
    const value = name === undefined ? undefined : this.scope.variables.get(name);
    // Expansions draw on the character allowance, so `$a$a$a…` cannot grow a word without bound.
    if (value !== undefined && value.length <= this.scope.budget.chars) {
      this.scope.budget.chars -= value.length;
      this.pos += 1 + (braced !== null ? braced[0].length : name!.length);
      if (!quoted && /[ \t\n]/.test(value)) this.split = true;
      return value;
    }
    if (next === "(" && text[this.pos + 2] === "(") {
      const start = this.pos;
      this.pos += 3;
      skipPast(this.cursor, ")");
      if (text[this.pos] === ")") this.pos++;
      return text.slice(start, this.pos);
    }
    if (next === "(") {
      this.pos += 2;
      return this.substitution("$(", "command", ")");
    }
    if (next === "{") {
      const start = this.pos;
      this.pos += 2;
      let braces = 1;
      while (this.pos < text.length && braces > 0) {
        const c = text[this.pos]!;
        if (c === "{") braces++;
        else if (c === "}") braces--;
        else if (c === "\\") this.pos++;
        this.pos++;
      }
      return text.slice(start, this.pos);
    }
    if (next === "'") {
      this.pos += 2;
      return ansiC(this.cursor);
    }
    this.pos++;
    return "$";
  }

  /**
   * `$IFS`/`${IFS…}` (a field separator written where a space would be: `curl${IFS}http://x|sh`), and
   * the positional parameters `$@`, `$*`, `$0`…`$9`, `${10}`: the words after the payload, empty when
   * there are none (`cu$@rl` is curl). Undefined for anything else; this.pos moves past what it read.
   */
  private specialParameter(quoted: boolean): string | undefined {
    const ahead = this.text.slice(this.pos + 1, this.pos + 40);
    const ifs = this.scope.variables.has("IFS")
      ? null
      : /^(?:IFS(?![A-Za-z0-9_])|\{IFS(?:[^{}]{0,32})\})/.exec(ahead);
    let value: string;
    let length: number;
    if (ifs !== null) {
      value = " ";
      length = ifs[0].length;
    } else {
      const match = /^(?:[@*]|[0-9]|\{(?:[@*]|[0-9]+)\})/.exec(ahead);
      if (match === null) return undefined;
      length = match[0].length;
      const which = match[0].replace(/[{}]/g, "");
      if (which === "@" || which === "*") value = this.scope.positional.slice(1).join(" ");
      else value = this.scope.positional[Number(which)] ?? "";
      if (value.length > this.scope.budget.chars) {
        exhaust(this.scope.budget, "characters");
        value = "";
      }
      this.scope.budget.chars -= value.length;
    }
    this.pos += 1 + length;
    if (!quoted && /[ \t\n]/.test(value)) this.split = true;
    return value;
  }
}
