/**
 * The rule "Network utility executed in container" (MITRE TA0011 / T1105): the verdict over an event's
 * candidates (candidates.ts), each judged by the severity ladder (indicators.ts), and the fail-closed
 * policy — an analysis failure or a reader limit never turns a utility into silence. Pure; never throws.
 */
import type { ExecEvent, Finding, ProcessInfo, Severity, Verdict } from "../model.js";
import { maxSeverity, severityRank } from "../severity.js";
import { type BudgetLimit, segmentBudget } from "../shell/index.js";
import { ancestorArgv0, ancestorList, type Candidate, findCandidates, strings, text } from "./candidates.js";
import { describeCategory, lookupUtility } from "./catalogue.js";
import { type ChannelFamily, DEFAULT_CHANNEL_FAMILIES, evaluateChannels } from "./channels.js";
import { type AncestorContext, ancestorContext, type ExecutionsCache } from "./feeds.js";
import { type FlatScan, flatScan } from "./flat-scan.js";
import { type Assessment, assess } from "./indicators.js";

const HOST_PROCESS: Verdict = Object.freeze({ kind: "none", why: "host-process" });

const NOT_A_UTILITY: Verdict = Object.freeze({ kind: "none", why: "not-a-utility" });

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

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
