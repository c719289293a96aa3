/**
 * What a simple command runs: the executable's name, where the command starts past assignments,
 * reserved words, wrappers and multi-call binaries, whether it is a shell or an interpreter, and the
 * script a shell is given inline (`sh -c`, `su -c`, `eval`).
 */
import { type CommandNames, type CommandSegment, MAX_WORDS, type SegmentBudget } from "./segment.js";
import { ASSIGNMENT, hasGlob } from "./words.js";
import { skipWrapper, WRAPPERS } from "./wrappers.js";

/**
 * Multi-call binaries whose first argument names the applet to run (`busybox wget …`). They are not
 * the command themselves; the reader looks at the applet.
 */
export const MULTICALL_BINARIES: ReadonlySet<string> = new Set(["busybox", "toybox"]);

const DELETED_SUFFIX = " (deleted)";

const MEMFD_PREFIX = "memfd:";

/**
 * The executable name of a path: its last component, without the " (deleted)" marker the kernel appends
 * to unlinked executables, and without the "memfd:" of an anonymous memory file (`/memfd:curl (deleted)`
 * is a curl run without touching the disk: the name is the one its loader gave it). A bare name is
 * returned unchanged.
 */
export function executableName(nameOrPath: string): string {
  let value = nameOrPath;
  if (value.endsWith(DELETED_SUFFIX)) value = value.slice(0, -DELETED_SUFFIX.length);
  const slash = value.lastIndexOf("/");
  const name = slash === -1 ? value : value.slice(slash + 1);
  return name.startsWith(MEMFD_PREFIX) ? name.slice(MEMFD_PREFIX.length) : name;
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
 * A simple command that cannot matter to the caller: it runs none of the `keep` names, no multi-call
 * binary, no shell or interpreter and no program given by path. Dropping it loses nothing the caller
 * reads; commands in a pipeline are judged together (see {@link recycle}).
 */
function isInert(segment: CommandSegment, keep: CommandNames): boolean {
  const head = segment.argv[commandStart(segment.argv)];
  if (head === undefined) return true;
  if (head.includes("/") || hasGlob(head)) return false;
  return !(
    keep.has(head) ||
    MULTICALL_BINARIES.has(head) ||
    SHELLS.has(head) ||
    INTERPRETER.test(head) ||
    RUNNERS.has(head)
  );
}

/**
 * Drops `last` and the commands piping into it when they are all inert and are the newest entries of
 * `list` (nothing nested inside them was kept), and gives their place back to the budget.
 */
export function recycle(
  list: CommandSegment[],
  last: CommandSegment,
  budget: SegmentBudget,
  keep: CommandNames,
): void {
  let count = 0;
  for (let node: CommandSegment | undefined = last; node !== undefined; node = node.pipedFrom) {
    if (list[list.length - 1 - count] !== node || !isInert(node, keep)) return;
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
