/**
 * Glob matching for allowlist values. No regular expressions are built from user input, and every
 * match is bounded by pattern length × subject length steps (under 4.2 million at the caps below, a
 * few milliseconds), whatever the pattern.
 *
 * Two dialects:
 * - {@link globMatch} (image, names, paths): `*` matches any run of characters (also none), `?` exactly
 *   one UTF-16 code unit, everything else itself, case-sensitive.
 * - {@link argsGlobMatch} (the arguments of a command line, which an attacker writes): the pattern is
 *   split on single spaces into one pattern per argument, see its TSDoc. Inside one argument `*` stops
 *   at the segment separators (`/ ? # @`) so that `http://*.svc.cluster.local/healthz` cannot be satisfied by
 *   `http://evil/s.sh#.svc.cluster.local/healthz`; `**` crosses them.
 */

/** Longest allowlist pattern accepted at parse time. */
export const MAX_PATTERN_LENGTH = 512;
/** Longest subject matched; a longer subject never matches (fail closed: the finding is not suppressed). */
export const MAX_SUBJECT_LENGTH = 8192;

const STAR = 42;
const QUESTION = 63;

/** True when `subject` matches `pattern` as a whole. False for over-long subjects or patterns. */
export function globMatch(pattern: string, subject: string): boolean {
  if (pattern.length > MAX_PATTERN_LENGTH || subject.length > MAX_SUBJECT_LENGTH) return false;
  let p = 0;
  let s = 0;
  let star = -1;
  let resume = 0;
  while (s < subject.length) {
    const c = pattern.charCodeAt(p);
    if (p < pattern.length && c !== STAR && (c === QUESTION || c === subject.charCodeAt(s))) {
      p++;
      s++;
    } else if (p < pattern.length && c === STAR) {
      // Remember the star; first try letting it match nothing.
      star = p++;
      resume = s;
    } else if (star !== -1) {
      // Mismatch after a star: let that star swallow one more character and retry from there.
      p = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p++;
  return p === pattern.length;
}

// Compiled argument pattern: one code per step. Non-negative codes are literal UTF-16 code units.
const ANY_ONE = -1;
const SEGMENT_RUN = -2;
const ANY_RUN = -3;

/**
 * Characters a single `*` in an argument pattern does not match: they end a path segment or a URL's
 * host (`/`), start its query (`?`) or fragment (`#`), or end its userinfo (`@`).
 */
function isSeparator(code: number): boolean {
  return code === 47 || code === 63 || code === 35 || code === 64; // / ? # @
}

function compileArgument(pattern: string): Int32Array {
  const steps: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const code = pattern.charCodeAt(i);
    if (code === QUESTION) steps.push(ANY_ONE);
    else if (code !== STAR) steps.push(code);
    else {
      let end = i + 1;
      while (pattern.charCodeAt(end) === STAR) end++;
      steps.push(end - i === 1 ? SEGMENT_RUN : ANY_RUN);
      i = end - 1;
    }
  }
  return Int32Array.from(steps);
}

/** Marks every step reachable from a live one by letting runs (`*`, `**`) match nothing. */
function closeOverRuns(steps: Int32Array, live: Uint8Array): void {
  for (let j = 0; j < steps.length; j++) if (live[j] === 1 && steps[j]! <= SEGMENT_RUN) live[j + 1] = 1;
}

/**
 * Runs a compiled argument pattern over one argument as a set of live pattern positions (an NFA
 * simulation, never backtracking): pattern length × argument length steps at most. `a` and `b` are
 * scratch buffers of at least steps.length + 1 bytes, reused so that matching allocates nothing.
 */
function matchCompiled(steps: Int32Array, argument: string, a: Uint8Array, b: Uint8Array): boolean {
  const n = steps.length;
  let live = a;
  let next = b;
  live.fill(0, 0, n + 1);
  live[0] = 1;
  closeOverRuns(steps, live);
  for (let i = 0; i < argument.length; i++) {
    const code = argument.charCodeAt(i);
    next.fill(0, 0, n + 1);
    let any = false;
    for (let j = 0; j < n; j++) {
      if (live[j] !== 1) continue;
      const step = steps[j]!;
      if (step === ANY_RUN || (step === SEGMENT_RUN && !isSeparator(code))) {
        next[j] = 1;
        any = true;
      } else if (step === ANY_ONE || step === code) {
        next[j + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    closeOverRuns(steps, next);
    [live, next] = [next, live];
  }
  return live[n] === 1;
}

/**
 * True when one whole argument matches one argument pattern: `**` (two or more stars) matches any run
 * of characters, `*` any run without `/`, `?`, `#` or `@`, `?` exactly one character of any kind (so a
 * literal `?` in a URL matches itself), everything else itself, case-sensitive. False for over-long
 * patterns or arguments.
 */
export function argumentGlobMatch(pattern: string, argument: string): boolean {
  if (pattern.length > MAX_PATTERN_LENGTH || argument.length > MAX_SUBJECT_LENGTH) return false;
  const steps = compileArgument(pattern);
  return matchCompiled(steps, argument, new Uint8Array(steps.length + 1), new Uint8Array(steps.length + 1));
}

/** True for a token that is only stars (`**`, `***`…): it stands for any number of whole arguments. */
function isArgumentsRun(token: string): boolean {
  if (token.length < 2) return false;
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) !== STAR) return false;
  return true;
}

/**
 * True when the arguments match an args pattern. The pattern is split on single spaces into argument
 * patterns, and they must match the arguments one for one, in order, from the first argument to the
 * last, each matching one whole argument as {@link argumentGlobMatch} does; an argument pattern that
 * is only `**` matches any number of whole arguments (also none), so `** -x **` means "some argument is
 * -x". Nothing crosses an argument boundary. False (fail closed) for a pattern over 512 characters or
 * arguments over 8,192 characters when joined with spaces.
 */
export function argsGlobMatch(pattern: string, args: readonly string[]): boolean {
  if (pattern.length > MAX_PATTERN_LENGTH) return false;
  let length = args.length === 0 ? 0 : args.length - 1;
  for (const arg of args) {
    if (typeof arg !== "string") return false;
    length += arg.length;
    if (length > MAX_SUBJECT_LENGTH) return false;
  }
  const tokens = pattern.split(" ");
  const runs = tokens.map(isArgumentsRun);
  const compiled = tokens.map((token, j) => (runs[j] ? null : compileArgument(token)));
  const longest = compiled.reduce((max, steps) => Math.max(max, steps?.length ?? 0), 0);
  const scratchA = new Uint8Array(longest + 1);
  const scratchB = new Uint8Array(longest + 1);
  // The same live-position simulation as for characters, over arguments: each (argument pattern,
  // argument) pair is tried at most once, so the work stays under pattern length × subject length.
  const n = tokens.length;
  let live = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  const close = (set: Uint8Array): void => {
    for (let j = 0; j < n; j++) if (set[j] === 1 && runs[j]) set[j + 1] = 1;
  };
  live[0] = 1;
  close(live);
  for (const arg of args) {
    next.fill(0);
    let any = false;
    for (let j = 0; j < n; j++) {
      if (live[j] !== 1) continue;
      const steps = compiled[j];
      if (steps === null || steps === undefined) {
        next[j] = 1;
        any = true;
      } else if (matchCompiled(steps, arg, scratchA, scratchB)) {
        next[j + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    [live, next] = [next, live];
  }
  return live[n] === 1;
}
