/**
 * What a command line does with a utility's input and output: whether what it prints is executed
 * (piped into a shell or interpreter, run through a substitution), which interactive shell it relays,
 * which files it is fed or writes down its pipeline, and which paths the command lines execute.
 */
import type { ExecEvent, Utility } from "../model.js";
import {
  type CommandSegment,
  commandStart,
  commandWords,
  executableName,
  isInterpreter,
  isShell,
  resolvePath,
  type SegmentBudget,
  shellPayload,
} from "../shell/index.js";
import { ancestorArgv0, ancestorList, lookupCommand, strings, text } from "./candidates.js";
import { commandSegments } from "./segments.js";
import type { Fed, OutputSink } from "./utilities/index.js";
import { NOT_FILES, quote } from "./utilities/words.js";

/**
 * Stands in for a working directory nobody reported, so that `wget http://x/a; ./a` still matches
 * the downloaded file with the executed one. Only used to compare paths, never shown or classified.
 */
export const UNKNOWN_DIR = "/\u0000unknown-cwd";

/** What the ancestors' command lines show, computed once per event. */
export interface AncestorContext {
  feeds: string[];
  segments: CommandSegment[];
}

function ancestorRole(index: number): string {
  return index === 0 ? "the parent's" : index === 1 ? "the grandparent's" : `ancestor ${index + 1}'s`;
}

export function ancestorContext(event: ExecEvent, budget: SegmentBudget): AncestorContext {
  const feeds: string[] = [];
  const all: CommandSegment[] = [];
  const cwd = text(event.process?.cwd);
  ancestorList(event).forEach((ancestor, index) => {
    if (ancestor === null || typeof ancestor !== "object") return;
    const args = strings(ancestor.args);
    const argv0 = ancestorArgv0(ancestor);
    if (argv0 === undefined || args.length === 0) return;
    const argv = [argv0, ...args];
    if (shellPayload(commandWords(argv)) === undefined) return;
    const options = { budget, dropInert: true };
    const segments = commandSegments(argv, index === 0 && cwd ? { ...options, cwd } : options);
    all.push(...segments);
    for (const segment of segments) {
      if (segment.depth === 0) continue;
      const words = commandWords(segment.argv);
      const utility = words[0] !== undefined ? lookupCommand(words[0]) : undefined;
      if (utility === undefined) continue;
      const feed = feedsInterpreter(segment);
      if (feed !== undefined)
        feeds.push(`${describeFeed(utility, feed)} in ${ancestorRole(index)} command line`);
    }
  });
  return { feeds: unique(feeds), segments: all };
}

/** The shell or interpreter a segment runs, when it would execute what it is given. */
export function interpreterOf(segment: CommandSegment): string | undefined {
  const words = commandWords(segment.argv);
  const head = words[0];
  if (head === undefined) return undefined;
  const name = executableName(head);
  if (isShell(name) || isInterpreter(name) || name === "source" || name === "." || name === "eval") {
    return name;
  }
  return undefined;
}

/**
 * Options with which an interpreter runs code given on its command line (or a module) rather than its
 * standard input: `python3 -m json.tool`, `perl -ne '…'`, `node -e '…'`, `php -r '…'`.
 */
const INLINE_CODE: ReadonlyArray<readonly [RegExp, string, readonly string[]]> = [
  [/^(?:python|pypy)/, "cm", ["--command"]],
  [/^perl/, "eE", []],
  [/^ruby/, "e", []],
  [/^(?:node|nodejs|deno|bun)/, "ep", ["--eval", "--print", "eval", "run"]],
  [/^php/, "rRBEF", []],
  [/^(?:lua|luajit)/, "e", []],
  [/^(?:pwsh|powershell)/, "cCfFeE", []],
  [/^(?:tclsh|wish)/, "", []],
];

const STDIN_PATHS = new Set(["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

// Inline code that reads its input and runs it anyway (`python3 -c "exec(sys.stdin.read())"`).
const RUNS_INPUT =
  /\b(?:exec|eval|system|compile|loadstring|spawn|popen|Invoke-Expression|iex)\b|\bload\s*\(\s*io\b/;

/**
 * The shell or interpreter a pipe feeds, when it runs what it reads as code. Shells always count; an
 * interpreter does not when it was given a script file or inline code, because it then reads its input
 * as data: `curl -s localhost:9200/_cat | python3 -m json.tool` pretty-prints, it executes nothing.
 */
export function stdinRunner(segment: CommandSegment): string | undefined {
  const name = interpreterOf(segment);
  if (name === undefined || !isInterpreter(name)) return name;
  const words = segment.argv.slice(commandStart(segment.argv) + 1);
  const spec = INLINE_CODE.find(([family]) => family.test(name));
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (STDIN_PATHS.has(word)) return name;
    const inline =
      spec !== undefined &&
      (spec[2].includes(word) ||
        (/^-[A-Za-z]+$/.test(word) && [...word.slice(1)].some((letter) => spec[1].includes(letter))));
    if (inline) return RUNS_INPUT.test(words.slice(i + 1).join(" ")) ? name : undefined;
    if (!word.startsWith("-")) return undefined;
  }
  return name;
}

export const STDOUT_REDIRECTS = new Set([">", ">>", ">|", "&>", "&>>"]);

export function redirectsStdout(segment: CommandSegment): boolean {
  return segment.redirects.some(
    (r) => STDOUT_REDIRECTS.has(r.op) && r.target !== "/dev/stdout" && r.target !== "/dev/stderr",
  );
}

export interface Feed {
  how: "pipe" | "command-substitution" | "process-substitution";
  consumer: string;
}

// Segments are fresh objects per evaluation; remembering the answer per segment keeps a pipeline of
// thousands of commands linear instead of quadratic.
const pipeRunners = new WeakMap<CommandSegment, string | null>();

/** The first command down `segment`'s pipeline that runs its input as code, if the data gets there. */
function pipeRunner(segment: CommandSegment): string | undefined {
  const chain: CommandSegment[] = [];
  let found: string | null = null;
  for (let node = segment.pipesTo; node !== undefined; node = node.pipesTo) {
    const known = pipeRunners.get(node);
    if (known !== undefined) {
      found = known;
      break;
    }
    chain.push(node);
    const runner = stdinRunner(node);
    if (runner !== undefined) {
      found = runner;
      break;
    }
    if (redirectsStdout(node)) break;
  }
  // Every node passed on the way leads to the same answer.
  for (const node of chain) if (!pipeRunners.has(node)) pipeRunners.set(node, found);
  return found ?? undefined;
}

/** Whether what `segment` prints ends up executed by a shell or interpreter, and how. */
export function feedsInterpreter(segment: CommandSegment): Feed | undefined {
  let node: CommandSegment | undefined = segment;
  for (let steps = 0; node !== undefined && steps < 32; steps++) {
    if (!redirectsStdout(node)) {
      const consumer = pipeRunner(node);
      if (consumer !== undefined) return { how: "pipe", consumer };
    }
    const sub: CommandSegment["substitutionOf"] = node.substitutionOf;
    if (sub !== undefined) {
      if (sub.kind === "command" && sub.argIndex === commandStart(sub.segment.argv)) {
        return { how: "command-substitution", consumer: "the shell" };
      }
      const consumer = interpreterOf(sub.segment);
      if (consumer !== undefined) {
        return { how: sub.kind === "command" ? "command-substitution" : "process-substitution", consumer };
      }
      node = sub.segment;
      continue;
    }
    node = node.payloadOf;
  }
  return undefined;
}

export function describeFeed(utility: Utility, feed: Feed): string {
  const what =
    utility.category === "download" ? "download" : utility.category === "dns" ? "answer" : "output";
  const kind = isShell(feed.consumer) || feed.consumer === "the shell" ? "a shell" : "an interpreter";
  if (feed.how === "pipe") return `${utility.name} ${what} is piped to ${kind} (${feed.consumer})`;
  const via = feed.how === "command-substitution" ? "command substitution" : "process substitution";
  if (feed.consumer === "the shell") return `${utility.name} ${what} is executed as a command through ${via}`;
  return `${utility.name} ${what} is executed by ${feed.consumer} through ${via}`;
}

/**
 * A shell that reads its commands from its input (no `-c`, no script file): `sh -i`, `/bin/bash`.
 * Its output piped into a relay is a shell session carried over the network.
 */
function interactiveShell(segment: CommandSegment): string | undefined {
  const words = commandWords(segment.argv);
  const head = words[0];
  if (head === undefined || !isShell(head) || shellPayload(words) !== undefined) return undefined;
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === "-o" || word === "+o" || word === "-O" || word === "--rcfile" || word === "--init-file") i++;
    else if (!/^[-+]/.test(word) || word === "-" || word === "--") return undefined;
  }
  return words.join(" ");
}

/** The interactive shell whose output reaches `segment` through pipes, as written. */
export function relayedShell(segment: CommandSegment): string | undefined {
  for (let node = segment.pipedFrom, k = 0; node !== undefined && k < 4096; node = node.pipedFrom, k++) {
    const shell = interactiveShell(node);
    if (shell !== undefined) return shell;
  }
  return undefined;
}

// Commands that print a file named among their operands (base64, xxd… also encode it on the way).
const FILE_PRINTERS = new Set([
  "cat",
  "tac",
  "head",
  "tail",
  "base64",
  "base32",
  "basenc",
  "xxd",
  "od",
  "hexdump",
  "strings",
  "gzip",
  "bzip2",
  "xz",
  "zstd",
  "zcat",
]);

/** Whether `tar`'s words create an archive (`tar czf - /root`, `tar -c …`, `tar --create`). */
export function tarMode(words: readonly string[], mode: "c" | "x"): boolean {
  const long = mode === "c" ? "--create" : "--extract";
  return words.slice(1).some((word, i) => {
    if (word === long || (mode === "x" && word === "--get")) return true;
    if (word.startsWith("--")) return false;
    // Old style (`tar czf`) only as the first word; dashed clusters (`-czf`) anywhere.
    return (word.startsWith("-") || i === 0) && /^-?[A-Za-z]+$/.test(word) && word.includes(mode);
  });
}

/** A command up `segment`'s pipeline that reads files and prints them, as written: `cat /etc/passwd`. */
export function pipedFiles(segment: CommandSegment): string | undefined {
  for (let node = segment.pipedFrom, k = 0; node !== undefined && k < 4096; node = node.pipedFrom, k++) {
    const words = commandWords(node.argv);
    const head = words[0];
    if (head === undefined) continue;
    // What a shell or interpreter prints is its own output, not the file it was fed.
    if (interpreterOf(node) !== undefined) return undefined;
    const tool = executableName(head);
    const reads =
      (FILE_PRINTERS.has(tool) && words.slice(1).some((w) => !w.startsWith("-"))) ||
      (tool === "tar" && tarMode(words, "c")) ||
      (tool === "dd" && words.some((w) => w.startsWith("if="))) ||
      node.redirects.some((r) => r.op === "<" && r.target !== "/dev/null");
    if (reads) return words.join(" ");
  }
  return undefined;
}

/** The encoding of a decoded script that `segment` runs in, looking up its payload chain. */
export function decodedStageOf(segment: CommandSegment): string | undefined {
  for (let node: CommandSegment | undefined = segment, k = 0; node !== undefined && k < 16; k++) {
    const runner: CommandSegment | undefined = node.payloadOf;
    if (runner?.decodedStage !== undefined) return runner.decodedStage;
    node = runner ?? node.substitutionOf?.segment;
  }
  return undefined;
}

/** Each path the command lines execute, with the segments that execute it. */
export type Executions = Map<string, CommandSegment[]>;

/**
 * Executions per candidate segment list: every candidate of an exec session shares its session's list,
 * so a script of thousands of downloads is read once instead of once per download (quadratic).
 */
export type ExecutionsCache = Map<readonly CommandSegment[] | undefined, Executions>;

/** Paths that a command line executes: run as a command, or given to a shell/interpreter or `.`. */
export function executionsOf(segments: readonly CommandSegment[]): Executions {
  const out: Executions = new Map();
  for (const segment of segments) {
    const words = commandWords(segment.argv);
    const head = words[0];
    if (head === undefined) continue;
    let target: string | undefined;
    if (head.includes("/")) target = head;
    else if (interpreterOf(segment) !== undefined && head !== "eval") {
      target = words.slice(1).find((w) => !w.startsWith("-"));
    }
    if (target === undefined) continue;
    const resolved = resolvePath(segment.cwd ?? UNKNOWN_DIR, target);
    if (resolved === undefined) continue;
    const runners = out.get(resolved);
    if (runners === undefined) out.set(resolved, [segment]);
    else runners.push(segment);
  }
  return out;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** What the command line gives `segment` on its standard input, as written (a tool family's `fed`). */
export function fedTexts(segment: CommandSegment | undefined): Fed {
  if (segment === undefined) return [];
  const texts = segment.redirects.filter((r) => r.op === "<<<").map((r) => r.target);
  const from = segment.pipedFrom;
  if (from !== undefined) {
    const words = commandWords(from.argv);
    if (words[0] === "echo" || words[0] === "printf")
      texts.push(words.slice(1).join(" ").replace(/\\n/g, "\n"));
  }
  return texts;
}

/** What a relay sends when its command line feeds it a file: `nc h p < /etc/passwd`, `cat f | nc h p`. */
export function relayedFile(name: string, segment: CommandSegment | undefined): string | undefined {
  if (segment === undefined) return undefined;
  const input = segment.redirects.find((r) => r.op === "<" && r.target !== "/dev/null");
  if (input !== undefined) return `sends a file (< ${quote(input.target)})`;
  const piped = pipedFiles(segment);
  if (piped !== undefined) return `sends a file (${quote(piped)} | ${name})`;
  return undefined;
}

/**
 * The files `segment`'s output lands in through redirections and down its pipeline: `> f`,
 * `| tee f`, `| gunzip > f`, `| tar xz -C dir`, `| dd of=f`.
 */
export function pipedOutputs(segment: CommandSegment, sink: OutputSink): void {
  const redirected = (node: CommandSegment, via: string) => {
    for (const redirect of node.redirects) {
      if (
        STDOUT_REDIRECTS.has(redirect.op) &&
        !NOT_FILES.has(redirect.target) &&
        !/^&?\d+$/.test(redirect.target)
      ) {
        sink.file(redirect.target, `${via}${redirect.op} ${redirect.target}`);
      }
    }
  };
  redirected(segment, "");
  if (redirectsStdout(segment)) return;
  // Down the pipeline the data keeps its way into files.
  for (let next = segment.pipesTo, k = 0; next !== undefined && k < 4096; next = next.pipesTo, k++) {
    const words = commandWords(next.argv);
    const tool = words[0] === undefined ? "" : executableName(words[0]);
    if (tool === "tee") {
      for (const word of words.slice(1)) if (!word.startsWith("-")) sink.file(word, `| tee ${word}`);
    } else if (tool === "tar" && tarMode(words, "x")) {
      const at = words.findIndex((w) => w === "-C" || w === "--directory");
      const named = words.find((w) => w.startsWith("--directory="))?.slice("--directory=".length);
      const target = named ?? (at === -1 ? undefined : words[at + 1]);
      const where = target === undefined ? next.cwd : resolvePath(next.cwd, target);
      if (where !== undefined) sink.dir(where, `| ${words.join(" ")}`);
    } else if (tool === "dd") {
      for (const word of words) if (word.startsWith("of=")) sink.file(word.slice(3), `| ${word}`);
    }
    if (redirectsStdout(next)) {
      redirected(next, `| ${tool} `);
      break;
    }
    if (stdinRunner(next) !== undefined) break;
  }
}
