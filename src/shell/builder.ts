/**
 * The builder step of the shell reader: consumes one list's tokens (see lexer.ts) into segments —
 * simple commands with their words and redirections, joined by pipes, grouped by `( … )`, `{ …; }`,
 * `if …; fi` and loops, and marked when they run inside a substitution. What happens when a command
 * ends (payloads, variables, `cd`) is the script's business, behind {@link ListHost}.
 */
import { Lexer, type Scope, type Token } from "./lexer.js";
import type { Cursor } from "./quoting.js";
import {
  type CommandSegment,
  exhaust,
  MAX_SUBSTITUTION_DEPTH,
  MAX_WORDS,
  type SubstitutionKind,
} from "./segment.js";
import { braceExpansion } from "./words.js";

/** The script a list belongs to. */
export interface ListHost extends Scope {
  readonly cursor: Cursor;
  /** 0 for the command line itself, +1 per payload level. */
  readonly depth: number;
  /** Working directory after the `cd`s read so far, when known. */
  cwd: string | undefined;
  /** Segments in reading order, over every list of the script and the payloads it runs. */
  readonly out: CommandSegment[];
  readonly payloadOf: CommandSegment | undefined;
  /** A simple command has ended; `pipe` when its output feeds the next one. */
  commandEnded(segment: CommandSegment, pipe: boolean): void;
}

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

/** Reads one list — the whole script, or the inside of a substitution — into `host.out`. */
export class ListBuilder {
  private readonly lexer: Lexer;
  private current: CommandSegment | undefined;
  /** The operator of a redirection whose target is the next word. */
  private pendingRedirect: string | undefined;
  private pipeFrom: CommandSegment | undefined;
  // Compound commands — `( … )`, `{ …; }`, `if …; fi`, loops — send the output of every command in
  // them wherever the group's output goes: `(curl x) | sh` pipes curl into sh.
  private readonly groups: { closer: string; start: number }[] = [];
  private closedGroup: CommandSegment[] | undefined;
  private pipeFromGroup: CommandSegment[] | undefined;

  /**
   * @param terminator ")" for `$(`/`<(`, "`" for backticks, null for a whole script.
   * @param context marks the segments as running inside a substitution of another command.
   * @param nesting how many substitutions this list is inside.
   */
  constructor(
    private readonly host: ListHost,
    terminator: ")" | "`" | null,
    private readonly context: CommandSegment["substitutionOf"],
    private readonly nesting: number,
  ) {
    this.lexer = new Lexer(host.cursor, terminator, host, (kind, close) => this.substitution(kind, close));
  }

  /** Reads tokens until the list ends. */
  run(): void {
    for (;;) {
      const token = this.lexer.next();
      switch (token.kind) {
        case "word":
          this.addWord(token);
          break;
        case "redirect":
          this.pendingRedirect = token.op;
          break;
        case "pipe":
          this.endCommand(true);
          break;
        case "separator":
        case "stray-close":
          this.endCommand(false);
          break;
        case "open":
          // After `|` the group's first command reads the pipe: `curl x | (sh)`.
          if (this.current !== undefined) this.endCommand(false);
          this.groups.push({ closer: ")", start: this.host.out.length });
          break;
        case "close":
          this.endCommand(false);
          this.closedGroup = this.closeGroup(")", this.host.out.length);
          break;
        case "end":
          this.endCommand(false);
          return;
      }
    }
  }

  private addWord(token: Extract<Token, { kind: "word" }>): void {
    const segment = this.ensureSegment();
    const word = token.text;
    if (segment !== undefined) {
      if (this.pendingRedirect !== undefined)
        segment.redirects.push({ op: this.pendingRedirect, target: word });
      else if (segment.argv.length >= MAX_WORDS) exhaust(this.host.budget, "words");
      else {
        const closer = segment.argv.length === 0 ? GROUP_OPENERS.get(word) : undefined;
        if (closer !== undefined) this.groups.push({ closer, start: this.host.out.length - 1 });
        if (token.plain) segment.argv.push(...braceExpansion(word));
        else if (token.split) segment.argv.push(...word.split(/[ \t\n]+/).filter((w) => w !== ""));
        else segment.argv.push(word);
      }
    }
    this.pendingRedirect = undefined;
  }

  /** The command being read, started (and connected to a pipe feeding it) when there is none. */
  private ensureSegment(): CommandSegment | undefined {
    if (this.current !== undefined) return this.current;
    const { budget, out } = this.host;
    this.closedGroup = undefined;
    if (budget.segments <= 0) {
      exhaust(budget, "segments");
      return undefined;
    }
    budget.segments--;
    const current: CommandSegment = { argv: [], redirects: [], depth: this.host.depth };
    if (this.host.cwd !== undefined) current.cwd = this.host.cwd;
    if (this.context !== undefined) current.substitutionOf = this.context;
    if (this.host.payloadOf !== undefined) current.payloadOf = this.host.payloadOf;
    if (this.pipeFrom !== undefined) {
      current.pipedFrom = this.pipeFrom;
      this.pipeFrom.pipesTo = current;
      this.pipeFrom = undefined;
    }
    if (this.pipeFromGroup !== undefined) {
      for (const member of this.pipeFromGroup) member.pipesTo ??= current;
      current.pipedFrom = this.pipeFromGroup[this.pipeFromGroup.length - 1];
      this.pipeFromGroup = undefined;
    }
    out.push(current);
    this.current = current;
    return current;
  }

  private endCommand(pipe: boolean): void {
    const { budget, out } = this.host;
    const finished = this.current;
    this.current = undefined;
    this.pendingRedirect = undefined;
    let group: CommandSegment[] | undefined;
    if (finished === undefined) group = this.closedGroup;
    else if (finished.argv.length === 1 && GROUP_CLOSERS.has(finished.argv[0]!)) {
      const at = out.lastIndexOf(finished);
      group = this.closeGroup(finished.argv[0]!, at);
      // The closing word runs nothing; the group's commands stand for it.
      if (group !== undefined && at === out.length - 1 && finished.redirects.length === 0) {
        out.pop();
        budget.segments++;
      }
    }
    this.closedGroup = undefined;
    if (finished !== undefined && group === undefined) this.host.commandEnded(finished, pipe);
    this.pipeFrom = pipe && group === undefined ? finished : undefined;
    this.pipeFromGroup = pipe && group !== undefined && group.length > 0 ? group : undefined;
  }

  /** The commands of the innermost open group that `closer` ends, read up to `end`. */
  private closeGroup(closer: string, end: number): CommandSegment[] | undefined {
    const { groups, host, context } = this;
    for (let i = groups.length - 1; i >= 0; i--) {
      if (groups[i]!.closer !== closer) continue;
      const start = groups[i]!.start;
      groups.length = i;
      return host.out
        .slice(start, end)
        .filter(
          (s) => s.depth === host.depth && s.substitutionOf === context && s.payloadOf === host.payloadOf,
        );
    }
    return undefined;
  }

  /**
   * Reads a substitution (the cursor just past its opening) as a list of its own, inside the word
   * being read; false when a limit stops it, and the lexer skips it.
   */
  private substitution(kind: SubstitutionKind, close: ")" | "`"): boolean {
    const { budget } = this.host;
    const outer = this.ensureSegment();
    const argIndex = this.pendingRedirect !== undefined || outer === undefined ? -1 : outer.argv.length;
    if (this.nesting >= MAX_SUBSTITUTION_DEPTH || outer === undefined) {
      exhaust(budget, this.nesting >= MAX_SUBSTITUTION_DEPTH ? "substitutions" : "segments");
      return false;
    }
    // What a substitution's `cd` does stays inside it.
    const cwd = this.host.cwd;
    new ListBuilder(this.host, close, { segment: outer, kind, argIndex }, this.nesting + 1).run();
    this.host.cwd = cwd;
    return true;
  }
}
