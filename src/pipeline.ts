import type { Allowlist } from "./detection/allowlist.js";
import type { ChannelFamily } from "./detection/channels.js";
import { unanalysedVerdict } from "./detection/fallback.js";
import { mentionsNetworkUtility } from "./detection/prefilter.js";
import { evaluate } from "./detection/rule.js";
import type {
  BatchStats,
  ExecEvent,
  Finding,
  LogBatch,
  LogContext,
  LogEvent,
  ProcessInfo,
  Severity,
  Signal,
  SourceFormat,
  Verdict,
} from "./model.js";
import { SEVERITIES } from "./model.js";
import { atLeast } from "./severity.js";
import { buildSignals } from "./signals/build.js";
import { sameValue } from "./signals/repeats.js";
import { parseMessage } from "./sources/index.js";
import { batchLineage, withNotes } from "./sources/lineage.js";
import { TRUST_ANY, type TrustPolicy } from "./trust.js";

export interface PipelineOptions {
  minSeverity: Severity;
  allowlist: Allowlist;
  /** Region for console links in signals. */
  region?: string;
  /**
   * The batch's time budget: once `now()` reaches `atMs`, the remaining events get the cheap
   * fail-closed judgement (no analysis, never dropped) and are counted in `stats.overBudget`.
   */
  deadline?: { atMs: number; now: () => number };
  /** Channel rule families to judge (CHANNEL_FAMILIES); the documented defaults when absent. */
  channels?: ReadonlySet<ChannelFamily>;
  /** Which streams may speak for which format (TRUSTED_SOURCES); absent: every stream. */
  trust?: TrustPolicy;
}

/**
 * Verdicts remembered per batch. A batch repeats executions (a health check in every pod, a loop in a
 * script): the same command line in the same place is judged once. Bounded, in all and per bucket of
 * {@link bucketOf}, so a batch of distinct events costs at most a few comparisons per event.
 */
const MAX_REMEMBERED_VERDICTS = 2048;
const MAX_VERDICTS_PER_BUCKET = 16;

/**
 * What the rule and the allowlist read of an event, as text: the process but its pid, the ancestors,
 * whether it ran in a container or through an exec session, and the container image and name, namespace
 * and cluster the allowlist matches on. Not the fields that tell one run of a command from the next
 * (time, ids, pid) nor the rest of the container and workload: two events with the same key get the same
 * verdict (test/pipeline-verdicts.test.ts holds the rule to that). Typed over every field of the process,
 * so a field added there fails to compile until it is placed here. Only the allowlist reads the place
 * (image, container name, namespace, cluster): with `place` false, for a batch judged without an
 * allowlist, the key leaves it out, and the same command in every pod of a fleet is judged once.
 */
const KEYED_PROCESS_FIELDS: Record<keyof ProcessInfo, boolean> = {
  name: true,
  path: true,
  args: true,
  pid: false,
  user: true,
  cwd: true,
  comm: true,
};
const PROCESS_KEYS = (Object.keys(KEYED_PROCESS_FIELDS) as (keyof ProcessInfo)[]).filter(
  (field) => KEYED_PROCESS_FIELDS[field],
);

export function verdictKey(event: ExecEvent, place = true): string {
  const parts: unknown[] = [];
  for (const field of PROCESS_KEYS) parts.push(event.process?.[field]);
  parts.push(event.ancestors, event.inContainer, event.viaExecSession);
  if (place) {
    parts.push(
      event.container?.image,
      event.container?.name,
      event.workload?.namespace,
      event.workload?.cluster,
    );
  }
  return JSON.stringify(parts);
}

/**
 * `verdictKey(a) === verdictKey(b)`, or false, field by field and without writing either key: a batch
 * of 5,000 repeats of one execution costs comparisons, not 5,000 JSON texts. `sameValue` is stricter
 * than equal JSON, so two events it calls the same always have the same key.
 */
function sameVerdictKey(a: ExecEvent, b: ExecEvent, place: boolean): boolean {
  const pa = a.process;
  const pb = b.process;
  if (pa !== pb) for (const field of PROCESS_KEYS) if (!sameValue(pa?.[field], pb?.[field])) return false;
  return (
    a.inContainer === b.inContainer &&
    a.viaExecSession === b.viaExecSession &&
    (!place ||
      (sameValue(a.container?.image, b.container?.image) &&
        sameValue(a.container?.name, b.container?.name) &&
        sameValue(a.workload?.namespace, b.workload?.namespace) &&
        sameValue(a.workload?.cluster, b.workload?.cluster))) &&
    sameValue(a.ancestors, b.ancestors)
  );
}

/** Where to look for an earlier event with the same key: its last argument (the URL, the port), else its program. */
function bucketOf(event: ExecEvent): unknown {
  const args = event.process?.args;
  return Array.isArray(args) && args.length > 0
    ? args[args.length - 1]
    : (event.process?.path ?? event.process?.name);
}

/** The verdict judged for `first`, as it reads for `event` (equal to `first` but for what verdictKey leaves out). */
function rebind(verdict: Verdict, first: ExecEvent, event: ExecEvent): Verdict {
  if (verdict.kind !== "finding") return verdict;
  const { finding } = verdict;
  const process =
    finding.process === first.process
      ? event.process
      : finding.process.pid === undefined
        ? finding.process
        : { ...finding.process, pid: event.process.pid };
  return { kind: "finding", finding: { ...finding, event, process } };
}

/**
 * The rule for one batch, each allowlist entry applied to its own segment, and each distinct execution
 * judged once (see {@link verdictKey}): for every event, exactly what `evaluate` says.
 */
export function batchJudge(
  options: Pick<PipelineOptions, "allowlist" | "channels">,
): (event: ExecEvent) => Verdict {
  const evaluateOptions = {
    isAllowed: (finding: Finding) => options.allowlist.match(finding) !== null,
    ...(options.channels ? { channels: options.channels } : {}),
  };
  const buckets = new Map<unknown, { event: ExecEvent; verdict: Verdict }[]>();
  let remembered = 0;
  // Without allowlist entries nothing reads where an event ran (see verdictKey).
  const place = options.allowlist.size > 0;
  return (event) => {
    const bucketKey = bucketOf(event);
    const bucket = buckets.get(bucketKey);
    if (bucket !== undefined) {
      for (const known of bucket) {
        if (sameVerdictKey(known.event, event, place)) return rebind(known.verdict, known.event, event);
      }
    }
    const verdict = evaluate(event, evaluateOptions);
    if (remembered < MAX_REMEMBERED_VERDICTS && (bucket?.length ?? 0) < MAX_VERDICTS_PER_BUCKET) {
      remembered++;
      if (bucket) bucket.push({ event, verdict });
      else buckets.set(bucketKey, [{ event, verdict }]);
    }
    return verdict;
  };
}

const OUT_OF_TIME = "the batch's time budget ran out before its command line was analysed (fail closed)";

export interface BatchResult {
  signals: Signal[];
  stats: BatchStats;
}

/** Zeroed counters. */
export function emptyStats(): BatchStats {
  return {
    logEvents: 0,
    invalidEvents: 0,
    prefiltered: 0,
    unrecognized: 0,
    parseErrors: 0,
    untrusted: 0,
    execEvents: {},
    hostProcesses: 0,
    notUtility: 0,
    benign: 0,
    findings: { low: 0, medium: 0, high: 0, critical: 0 },
    belowMinSeverity: 0,
    suppressed: 0,
    signals: 0,
    overBudget: 0,
  };
}

/** Process executions parsed, all formats together. */
export function execEventCount(stats: BatchStats): number {
  return Object.values(stats.execEvents).reduce((sum, n) => sum + (n ?? 0), 0);
}

/** Adds `from` into `into` (for totals over several batches). */
export function addStats(into: BatchStats, from: BatchStats): void {
  into.logEvents += from.logEvents;
  into.invalidEvents += from.invalidEvents;
  into.prefiltered += from.prefiltered;
  into.unrecognized += from.unrecognized;
  into.parseErrors += from.parseErrors;
  into.untrusted += from.untrusted ?? 0;
  for (const [format, count] of Object.entries(from.execEvents) as [SourceFormat, number][]) {
    into.execEvents[format] = (into.execEvents[format] ?? 0) + count;
  }
  into.hostProcesses += from.hostProcesses;
  into.notUtility += from.notUtility;
  into.benign += from.benign;
  for (const severity of SEVERITIES) into.findings[severity] += from.findings[severity];
  into.belowMinSeverity += from.belowMinSeverity;
  into.suppressed += from.suppressed;
  into.signals += from.signals;
  into.overBudget += from.overBudget;
}

/**
 * Runs one decoded batch through sources, detection and signal building. Pure and synchronous:
 * the handler, the CLI (invoke, demo, hunt) and the benchmark all call exactly this.
 * A log event that no source recognizes, or that is malformed, is counted and skipped; it never
 * affects the other events of the batch.
 */
export function processBatch(batch: LogBatch, options: PipelineOptions): BatchResult {
  const stats = emptyStats();
  stats.logEvents = batch.logEvents.length + (batch.dropped?.length ?? 0);
  stats.invalidEvents = batch.dropped?.length ?? 0;
  const findings: Finding[] = [];
  const { deadline } = options;
  let late = false;
  const contextOf = (logEvent: LogEvent): LogContext => ({
    logGroup: batch.logGroup,
    logStream: batch.logStream,
    owner: batch.owner,
    eventId: logEvent.id,
    timestamp: logEvent.timestamp,
  });
  const lineage = batchLineage(batch.logEvents, contextOf);
  const trust = options.trust ?? TRUST_ANY;
  const judge = batchJudge(options);
  for (let index = 0; index < batch.logEvents.length; index++) {
    const logEvent = batch.logEvents[index] as LogEvent;
    late ||= deadline !== undefined && deadline.now() >= deadline.atMs;
    // Most exec events are not network utilities; skipping them on the raw text avoids JSON.parse.
    if (!mentionsNetworkUtility(logEvent.message)) {
      stats.prefiltered++;
      continue;
    }
    const outcome = parseMessage(logEvent.message, contextOf(logEvent));
    lineage.remember(index, outcome);
    if (outcome.kind === "unrecognized") {
      stats.unrecognized++;
      continue;
    }
    if (outcome.kind === "malformed") {
      stats.parseErrors++;
      continue;
    }
    const vouchedBy = trust.vouch(outcome.format, batch.logGroup, batch.logStream);
    if (vouchedBy === null) {
      stats.untrusted++;
      continue;
    }
    stats.execEvents[outcome.format] = (stats.execEvents[outcome.format] ?? 0) + outcome.events.length;
    if (late) stats.overBudget += outcome.events.length;
    for (const event of outcome.events) {
      if (vouchedBy !== undefined) event.source.vouchedBy = vouchedBy;
      lineage.complete(event);
      // Each utility of a session or pipeline is allowlisted on its own segment, never for the others.
      const verdict = late ? unanalysedVerdict(event, OUT_OF_TIME) : judge(event);
      if (verdict.kind === "none") {
        if (verdict.why === "host-process") stats.hostProcesses++;
        else stats.notUtility++;
        continue;
      }
      if (verdict.kind === "benign") {
        stats.benign++;
        continue;
      }
      const finding = withNotes(verdict.finding);
      stats.findings[finding.severity]++;
      if (!atLeast(finding.severity, options.minSeverity)) {
        stats.belowMinSeverity++;
        continue;
      }
      // Unanalysed sessions were not cut into segments: no entry can speak for all of them.
      const judgeable = !late || event.viaExecSession !== true;
      if (judgeable && options.allowlist.match(finding) !== null) {
        stats.suppressed++;
        continue;
      }
      findings.push(finding);
    }
  }
  const signals = buildSignals(findings, options.region ? { region: options.region } : {});
  stats.signals = signals.length;
  return { signals, stats };
}
