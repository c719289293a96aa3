/**
 * What the shell reader produces and what bounds its work: the simple commands of a command line
 * (segments) with how they connect, and the allowance of characters, commands and words that every
 * reading draws from.
 *
 * The limits are set above what one log event can hold (1 MB), because whatever lies past a limit is
 * not seen: an attacker who knows the limits pads the command line (`true;` a few hundred times, a
 * long comment, a thousand `-v`) to push `curl … | sh` out of sight. With `keep`, simple commands
 * that cannot matter to the caller are dropped as soon as they end, so padding does not use up the
 * command budget either.
 */

/** Characters of one script (a `sh -c` payload) that are read; the rest is ignored. */
export const MAX_SCRIPT_CHARS = 1024 * 1024;
/** Characters read over all nested payloads of one command line (or one shared {@link SegmentBudget}). */
export const MAX_TOTAL_CHARS = 4 * 1024 * 1024;
/** Simple commands kept for one command line (or one shared {@link SegmentBudget}). */
export const MAX_SEGMENTS = 4096;
/** Words kept per simple command: more than a megabyte of one-letter words. */
export const MAX_WORDS = 512 * 1024;
/** Nesting of `sh -c` payloads inside payloads. */
export const MAX_PAYLOAD_DEPTH = 4;
/** Nesting of `$( … )`, backticks and `<( … )` inside one script. */
export const MAX_SUBSTITUTION_DEPTH = 16;

export interface Redirect {
  /** The operator as written, without a file descriptor number: ">", ">>", "<", "&>", ">&", "<<"… */
  op: string;
  /** The word after the operator. */
  target: string;
}

/** How a command came to run inside another one. */
export type SubstitutionKind = "command" | "process";

/** One simple command of a command line, with how it is connected to the others. */
export interface CommandSegment {
  /** Words after quote removal. Substitutions stay as written (`$(curl x)`), nothing is expanded. */
  argv: string[];
  redirects: Redirect[];
  /** The command whose standard output feeds this one through `|`. */
  pipedFrom?: CommandSegment;
  /** The command this one's standard output feeds through `|`. */
  pipesTo?: CommandSegment;
  /** Set when this command runs inside `$( … )`, backticks (`command`) or `<( … )`/`>( … )` (`process`). */
  substitutionOf?: {
    /** The command in one of whose words the substitution appears. */
    segment: CommandSegment;
    kind: SubstitutionKind;
    /** Index in `segment.argv` of the word holding the substitution; -1 inside a redirection target. */
    argIndex: number;
  };
  /** Set when this command comes from the payload of a shell (`sh -c '…'`, `su -c`, `eval`). */
  payloadOf?: CommandSegment;
  /** Working directory after an earlier `cd` in the same script, when it can be known; "~" is home. */
  cwd?: string;
  /** 0 for the command line itself, +1 per payload level. */
  depth: number;
  /**
   * Set on a command whose payload (`payloadOf` of the commands it runs) was decoded first: a shell
   * fed by `base64 -d`, or a command holding `$(echo … | base64 -d)`. The encoding's name.
   */
  decodedStage?: string;
}

/** Command names a caller looks for; a `Set` or the keys of a `Map` will do. */
export interface CommandNames {
  has(name: string): boolean;
}

/** Options of {@link commandSegments}. */
export interface SegmentOptions {
  /** Working directory of the command line, if known. */
  cwd?: string;
  /**
   * Treat argv elements that are exactly a shell operator ("|", "&&", "||", ";", "&") as operators.
   * Right for exec-session commands whose runner may have used a shell; wrong for a real process argv.
   */
  splitOperators?: boolean;
  /**
   * Work allowance to draw from; several calls sharing one (every ancestor of one event) are bounded
   * together. A fresh allowance per call when absent.
   */
  budget?: SegmentBudget;
  /**
   * When set, leave out simple commands that run none of these names, no multi-call binary, shell,
   * interpreter or program given by path, unless they are in a pipeline with one that does. The argv
   * itself stays.
   */
  keep?: CommandNames;
}

/** What is left of the work allowed: characters of scripts to read and simple commands to keep. */
export interface SegmentBudget {
  chars: number;
  segments: number;
  /**
   * Limits that were reached while reading, by name ("depth", "substitutions", "variables",
   * "segments", "characters", "words"): what lies past them was not read structurally. Callers should
   * fail closed on a non-empty set (detection reads the text again as flat words).
   */
  exhausted?: Set<BudgetLimit>;
}

/** The reader's limits, as named in {@link SegmentBudget.exhausted}. */
export type BudgetLimit = "depth" | "substitutions" | "variables" | "segments" | "characters" | "words";

/** A full allowance: {@link MAX_TOTAL_CHARS} characters and {@link MAX_SEGMENTS} commands. */
export function segmentBudget(): SegmentBudget {
  return { chars: MAX_TOTAL_CHARS, segments: MAX_SEGMENTS, exhausted: new Set() };
}

/** Notes that `limit` was reached. */
export function exhaust(budget: SegmentBudget, limit: BudgetLimit): void {
  if (budget.exhausted === undefined) budget.exhausted = new Set();
  budget.exhausted.add(limit);
}
