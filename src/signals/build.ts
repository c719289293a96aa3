/**
 * Findings → Signals: redaction first (every text field, before anything else looks at it), then
 * aggregation within the batch, then a stable id. Pure: no clock, no randomness, input order irrelevant.
 *
 * Past ~400 lines on purpose: grouping, the repeated-execution shortcut (an identical execution's
 * evidence redacted once; which findings repeat one another is src/signals/repeats.ts) and the id are
 * one transformation whose invariants (same input, same signals and ids, in any order) are only
 * checkable in one place. Linear in the findings but for one sort per signal (time order), which is
 * linear when the batch is already in time order.
 */
import { createHash } from "node:crypto";
import type { Actor, AncestorInfo, Finding, Platform, ProcessInfo, Signal, WorkloadInfo } from "../model.js";
import { CHANNEL_RULE, RULE } from "../model.js";
import { maxSeverity, severityRank } from "../severity.js";
import { Redactor } from "./redact.js";
import { sameEvidence, sameEvidenceButWorkload } from "./repeats.js";
import {
  type FieldsOf,
  mapFields,
  SIGNAL_FIELDS,
  SOURCE_FIELDS,
  TEXT,
  WORKLOAD_FIELDS,
} from "./signal-fields.js";
import { TimeParser } from "./times.js";
import {
  CHANNEL_MITRE_TECHNIQUE_URL,
  MITRE_TACTIC_URL,
  MITRE_TECHNIQUE_URL,
  RULE_DOC_URL,
  TRIAGE_STEPS,
} from "./triage.js";

export interface SignalOptions {
  /** Region of the CloudWatch console links; default "us-east-1". */
  region?: string;
}

const DEFAULT_REGION = "us-east-1";
/** Event ids kept per signal; `count` still tells how many executions there were. */
export const MAX_EVENT_IDS = 50;
/**
 * Ancestors a signal keeps, nearest first: the part of the chain a person reads in an alert. Fewer
 * than the `ANCESTORS_READ` (src/model.ts) detection judges, which must see the whole chain to fail closed.
 */
export const ANCESTORS_IN_SIGNAL = 16;
const MAX_SOURCE_IPS = 16;

const PLATFORMS: readonly Platform[] = ["ecs", "eks", "kubernetes", "docker", "unknown"];
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
// Key parts are joined with a control character: redacted text never contains one, so the join is injective.
const SEP = "\x1f";

/** The text of one finding that its signal carries, shaped like the signal's own fields. */
interface EvidenceText {
  sessionKey?: string;
  time: string;
  eventId: string;
  process: Signal["process"];
  ancestors: AncestorInfo[];
  container: Signal["container"];
  workload: WorkloadInfo;
  actor?: Actor;
  source: Omit<Signal["source"], "eventIds">;
  utilityName: string;
  reasons: string[];
}

const { eventIds: _eventIds, ...SOURCE_REF_FIELDS } = SOURCE_FIELDS;
/** The signal's own declarations (src/signals/signal-fields.ts), so evidence is redacted as the signal is. */
const EVIDENCE_FIELDS: FieldsOf<EvidenceText> = {
  sessionKey: TEXT,
  time: SIGNAL_FIELDS.timestamp,
  eventId: TEXT,
  process: SIGNAL_FIELDS.process,
  ancestors: SIGNAL_FIELDS.ancestors,
  container: SIGNAL_FIELDS.container,
  workload: SIGNAL_FIELDS.workload,
  actor: SIGNAL_FIELDS.actor,
  source: { kind: "object", fields: SOURCE_REF_FIELDS },
  utilityName: TEXT,
  reasons: SIGNAL_FIELDS.reasons,
};

/** The evidence of one finding, every text field already redacted; shared by the repeats of one execution. */
interface Evidence extends EvidenceText {
  key: string;
}

/** One finding of a signal: its evidence, and its own (redacted) time and log event id. */
interface Occurrence {
  finding: Finding;
  evidence: Evidence;
  time: string;
  timeMs: number;
  eventId: string;
}

/** Labels kept per signal: enough to route on, bounded against a pod with thousands. */
const MAX_LABELS = 32;

/** The value when it is a string: events come from parsers, but nothing here trusts a field's type. */
function textOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function ancestorOf(ancestor: AncestorInfo | ProcessInfo): AncestorInfo {
  return {
    name: textOf(ancestor.name),
    path: textOf(ancestor.path),
    args: Array.isArray(ancestor.args) ? ancestor.args : undefined,
  };
}

function sameProcess(a: ProcessInfo, b: ProcessInfo): boolean {
  return (
    a.name === b.name && a.path === b.path && JSON.stringify(a.args ?? []) === JSON.stringify(b.args ?? [])
  );
}

/**
 * The process tree above the utility, nearest first. When detection found the utility inside the
 * event's own command line (`sh -c 'curl … | sh'`), that command is its parent and is kept as such:
 * it is the evidence of what the utility's output was fed to.
 */
function ancestorsOf(finding: Finding): AncestorInfo[] {
  const event = finding.event;
  const chain: (AncestorInfo | ProcessInfo)[] = Array.isArray(event.ancestors) ? [...event.ancestors] : [];
  if (event.process && !sameProcess(finding.process, event.process)) chain.unshift(event.process);
  return chain.slice(0, ANCESTORS_IN_SIGNAL).map(ancestorOf);
}

/** Labels as routing fields: string values only, at most {@link MAX_LABELS} in key order. */
function labelsOf(labels: unknown): Record<string, string> | undefined {
  if (labels === null || typeof labels !== "object" || Array.isArray(labels)) return undefined;
  const entries = Object.entries(labels as Record<string, unknown>)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_LABELS);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

function workloadOf(workload: WorkloadInfo | undefined): WorkloadInfo {
  const platform = PLATFORMS.includes(workload?.platform as Platform)
    ? (workload?.platform as Platform)
    : "unknown";
  return {
    platform,
    cluster: textOf(workload?.cluster),
    namespace: textOf(workload?.namespace),
    pod: textOf(workload?.pod),
    task: textOf(workload?.task),
    node: textOf(workload?.node),
    // The workload's stable names, which the ledger's group key prefers to the pod.
    owner:
      typeof workload?.owner?.kind === "string" && typeof workload.owner.name === "string"
        ? { kind: workload.owner.kind, name: workload.owner.name }
        : undefined,
    service: textOf(workload?.service),
    family: textOf(workload?.family),
    labels: labelsOf(workload?.labels),
  };
}

function actorOf(actor: Actor | undefined): Actor | undefined {
  if (!actor) return undefined;
  return {
    user: textOf(actor.user),
    sourceIPs: Array.isArray(actor.sourceIPs) ? actor.sourceIPs.slice(0, MAX_SOURCE_IPS) : undefined,
    userAgent: textOf(actor.userAgent),
  };
}

/** What a finding's signal would say, before redaction: bounded, typed, undefined where absent. */
function evidenceText(finding: Finding): EvidenceText {
  const event = finding.event;
  const container = event.container ?? {};
  const source = event.source;
  return {
    sessionKey: textOf(event.sessionKey),
    time: textOf(event.time) ?? "",
    eventId: textOf(source.eventId) ?? "",
    process: {
      name: textOf(finding.process.name) ?? "",
      path: textOf(finding.process.path) ?? null,
      args: Array.isArray(finding.process.args) ? finding.process.args : [],
    },
    ancestors: ancestorsOf(finding),
    container: {
      id: textOf(container.id) ?? null,
      name: textOf(container.name) ?? null,
      image: textOf(container.image) ?? null,
    },
    workload: workloadOf(event.workload),
    actor: actorOf(event.actor),
    source: {
      format: source.format,
      logGroup: textOf(source.logGroup) ?? "",
      logStream: textOf(source.logStream) ?? "",
      owner: textOf(source.owner) ?? "",
      vouchedBy: textOf(source.vouchedBy),
    },
    utilityName: textOf(finding.utility.name) ?? textOf(finding.process.name) ?? "",
    reasons: Array.isArray(finding.reasons) ? finding.reasons : [],
  };
}

function aggregationKey(e: EvidenceText, finding: Finding): string {
  const rule = (finding.rule ?? RULE).id;
  if (e.sessionKey !== undefined) return ["session", rule, e.sessionKey, e.utilityName].join(SEP);
  const { container, workload } = e;
  const where =
    container.id !== null
      ? `id:${container.id}`
      : `name:${workload.cluster ?? ""}/${workload.namespace ?? ""}/${workload.pod ?? workload.task ?? ""}/${container.name ?? ""}`;
  const parent = e.ancestors[0]?.path ?? e.ancestors[0]?.name ?? "";
  return [rule, where, e.utilityName, parent, JSON.stringify(e.process.args)].join(SEP);
}

function evidenceOf(finding: Finding, redactor: Redactor): Evidence {
  const text = mapFields(evidenceText(finding), EVIDENCE_FIELDS, redactor);
  return { ...text, key: aggregationKey(text, finding) };
}

/**
 * The evidence of `finding`, the same execution as the one `earlier` was redacted from but in another
 * workload (src/signals/repeats.ts): `earlier` with the finding's own workload, time and event id.
 * Each field of the evidence is redacted on its own, so this is exactly {@link evidenceOf}.
 */
function inAnotherWorkload(earlier: Evidence, finding: Finding, redactor: Redactor): Evidence {
  const { event } = finding;
  const text: EvidenceText = {
    ...earlier,
    time: redactor.text(textOf(event.time) ?? ""),
    eventId: redactor.text(textOf(event.source.eventId) ?? ""),
    workload: mapFields(workloadOf(event.workload), WORKLOAD_FIELDS, redactor),
  };
  return { ...text, key: aggregationKey(text, finding) };
}

/** Earliest first; an unparsable time sorts after every parsable one. */
function byTime(a: Occurrence, b: Occurrence): number {
  const ta = Number.isNaN(a.timeMs) ? Number.POSITIVE_INFINITY : a.timeMs;
  const tb = Number.isNaN(b.timeMs) ? Number.POSITIVE_INFINITY : b.timeMs;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareStrings(a.time, b.time) || compareStrings(a.eventId, b.eventId);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Severity first, then time, then every other field: the representative never depends on input order. */
function byImportance(a: Occurrence, b: Occurrence): number {
  return (
    severityRank(b.finding.severity) - severityRank(a.finding.severity) ||
    byTime(a, b) ||
    compareStrings(JSON.stringify(a.evidence.reasons), JSON.stringify(b.evidence.reasons)) ||
    compareStrings(JSON.stringify(a.evidence.ancestors), JSON.stringify(b.evidence.ancestors))
  );
}

/** The CloudWatch console's encoding of a path component: URI-encoded twice, then "%" written as "$". */
export function consoleEncode(text: string): string {
  try {
    return encodeURIComponent(encodeURIComponent(text)).replace(/%/g, "$");
  } catch {
    return "";
  }
}

/** Deep link to a log stream in the CloudWatch console of `region`. */
export function logStreamConsoleUrl(region: string, logGroup: string, logStream: string): string {
  const r = REGION.test(region) ? region : DEFAULT_REGION;
  const host = r.startsWith("cn-")
    ? "https://console.amazonaws.cn"
    : r.startsWith("us-gov-")
      ? "https://console.amazonaws-us-gov.com"
      : `https://${r}.console.aws.amazon.com`;
  return `${host}/cloudwatch/home?region=${r}#logsV2:log-groups/log-group/${consoleEncode(logGroup)}/log-events/${consoleEncode(logStream)}`;
}

function clip(text: string, max = 128): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Last path or ARN segment: `arn:aws:ecs:…:task/prod/0abc` → `0abc`. */
export function lastSegment(text: string): string {
  return text.slice(text.lastIndexOf("/") + 1) || text;
}

/** The short form of a container id: runtime prefix dropped, 12 characters. */
export function shortContainerId(id: string): string {
  return id.replace(/^[a-z0-9-]+:\/\//, "").slice(0, 12);
}

function titleOf(e: Evidence, finding: Finding): string {
  const { container, workload } = e;
  const label = container.name ?? (container.id !== null ? shortContainerId(container.id) : "unknown");
  let title = `${clip(e.utilityName)} executed in container ${clip(label)}`;
  if (workload.platform === "ecs" && (workload.cluster || workload.task)) {
    const parts = [workload.cluster, workload.task]
      .filter((p): p is string => !!p)
      .map((p) => clip(lastSegment(p)));
    title += ` (ECS ${parts.join("/")})`;
  } else if (workload.namespace || workload.pod) {
    title += ` (${[workload.namespace, workload.pod]
      .filter(Boolean)
      .map((p) => clip(p ?? ""))
      .join("/")})`;
  }
  if (finding.event.viaExecSession === true) {
    title += workload.platform === "ecs" ? " via ECS Exec" : " via kubectl exec";
  } else if (e.process.path?.includes("/")) {
    title += ` from ${clip(e.process.path.slice(0, e.process.path.lastIndexOf("/")) || "/")}`;
  }
  return title;
}

function signalId(key: string, discriminator: string): string {
  return createHash("sha256").update(`${key}${SEP}${discriminator}`).digest("hex").slice(0, 32);
}

/** The group in time order (a stable sort: equal times keep the batch's order); itself when already so. */
function chronologicalOf(group: readonly Occurrence[]): readonly Occurrence[] {
  for (let i = 1; i < group.length; i++) {
    if (byTime(group[i - 1]!, group[i]!) > 0) return [...group].sort(byTime);
  }
  return group;
}

/**
 * The union of the group's reasons in the order of the group sorted by importance (stable), as
 * `[...new Set(sorted.flatMap((o) => o.evidence.reasons))]`, without sorting every occurrence: the
 * repeats of one evidence share its reasons, so only the most important occurrence of each is ordered.
 */
function reasonsOf(group: readonly Occurrence[]): string[] {
  const mostImportant = new Map<Evidence, { occurrence: Occurrence; index: number }>();
  for (let index = 0; index < group.length; index++) {
    const occurrence = group[index]!;
    const known = mostImportant.get(occurrence.evidence);
    if (known === undefined || byImportance(occurrence, known.occurrence) < 0) {
      mostImportant.set(occurrence.evidence, { occurrence, index });
    }
  }
  const ordered = [...mostImportant.values()].sort(
    (a, b) => byImportance(a.occurrence, b.occurrence) || a.index - b.index,
  );
  return [...new Set(ordered.flatMap((o) => o.occurrence.evidence.reasons))];
}

/** The first {@link MAX_EVENT_IDS} distinct event ids in time order. */
function eventIdsOf(chronological: readonly Occurrence[]): string[] {
  const seen = new Set<string>();
  for (const { eventId } of chronological) {
    seen.add(eventId);
    if (seen.size === MAX_EVENT_IDS) break;
  }
  return [...seen];
}

function smallestEventIdOf(group: readonly Occurrence[]): string {
  let smallest = group[0]?.eventId ?? "";
  for (const { eventId } of group) if (eventId < smallest) smallest = eventId;
  return smallest;
}

function toSignal(group: readonly Occurrence[], region: string): Signal {
  // The most important occurrence (the first of the stable sort by importance) and the highest severity.
  let top = group[0]!;
  let severity = top.finding.severity;
  for (let i = 1; i < group.length; i++) {
    const occurrence = group[i]!;
    if (byImportance(occurrence, top) < 0) top = occurrence;
    severity = maxSeverity(severity, occurrence.finding.severity);
  }
  const chronological = chronologicalOf(group);
  const first = chronological[0]!;
  const last = chronological[chronological.length - 1]!;
  const rep = top.evidence;
  const repFinding = top.finding;
  const eventIds = eventIdsOf(chronological);
  const reasons = reasonsOf(group);

  const signal: Signal = {
    id: signalId(rep.key, rep.sessionKey ?? smallestEventIdOf(group)),
    rule: repFinding.rule ?? RULE,
    severity,
    reasons,
    timestamp: first.time,
    firstSeen: first.time,
    lastSeen: last.time,
    // One exec session logged at several stages is one execution.
    count: rep.sessionKey !== undefined ? 1 : group.length,
    title: titleOf(rep, repFinding),
    message:
      repFinding.rule?.id === CHANNEL_RULE.id
        ? `The process \`${rep.process.name}\` opened a network channel, potentially a reverse shell or a tunnel.`
        : `The process \`${rep.process.name}\` was executed, potentially to download additional tools.`,
    utility: { name: rep.utilityName, category: repFinding.utility.category },
    process: rep.process,
    ancestors: rep.ancestors,
    container: rep.container,
    workload: rep.workload,
    inContainer: repFinding.event.inContainer,
    viaExecSession: repFinding.event.viaExecSession === true,
    source: {
      format: rep.source.format,
      logGroup: rep.source.logGroup,
      logStream: rep.source.logStream,
      eventIds,
      owner: rep.source.owner,
      ...(rep.source.vouchedBy !== undefined ? { vouchedBy: rep.source.vouchedBy } : {}),
    },
    triage: [...TRIAGE_STEPS],
    links: {
      logStream: logStreamConsoleUrl(region, rep.source.logGroup, rep.source.logStream),
      mitreTactic: MITRE_TACTIC_URL,
      mitreTechnique:
        repFinding.rule?.id === CHANNEL_RULE.id ? CHANNEL_MITRE_TECHNIQUE_URL : MITRE_TECHNIQUE_URL,
      rule: RULE_DOC_URL,
    },
  };
  if (rep.actor) signal.actor = rep.actor;
  return signal;
}

/** Distinct evidence remembered per buildSignals call, and per bucket of {@link Buckets}. */
const MAX_REDACTED_EVIDENCE = 2048;
const MAX_EVIDENCE_PER_BUCKET = 16;

/**
 * Where to look for an earlier finding with the same evidence (src/signals/repeats.ts): by the path
 * of its utility, then by its pod or task. Keyed by the values themselves: a lookup builds nothing.
 */
class Buckets {
  private readonly byPath = new Map<unknown, Map<unknown, Redacted[]>>();
  /** The first few evidences of each utility path, whatever their place: for another pod of the same execution. */
  private readonly anyPlace = new Map<unknown, Redacted[]>();

  get(finding: Finding): Redacted[] {
    const path = finding.process?.path ?? finding.process?.name;
    const place = finding.event.workload?.pod ?? finding.event.workload?.task;
    let byPlace = this.byPath.get(path);
    if (byPlace === undefined) {
      byPlace = new Map();
      this.byPath.set(path, byPlace);
      this.anyPlace.set(path, []);
    }
    let bucket = byPlace.get(place);
    if (bucket === undefined) {
      bucket = [];
      byPlace.set(place, bucket);
    }
    return bucket;
  }

  /** Evidences of the finding's utility path in any place (after {@link get} for the same finding). */
  anywhere(finding: Finding): Redacted[] {
    return this.anyPlace.get(finding.process?.path ?? finding.process?.name) ?? [];
  }
}

/** A finding whose evidence was redacted, and the group its signal is built from. */
interface Redacted {
  finding: Finding;
  evidence: Evidence;
  group: Occurrence[];
}

/**
 * Turns a batch's findings into signals: redacts every text field, groups findings with the same
 * evidence (rule, container, utility, parent, arguments — or the same exec session and utility) into
 * one signal with count, first/last seen, all event ids (up to {@link MAX_EVENT_IDS}), the highest
 * severity and the union of reasons. Ids are a hash of the redacted evidence and its smallest event
 * id (or session key), so a retried batch yields the same ids. Sorted by first seen, then id.
 */
export function buildSignals(findings: readonly Finding[], options: SignalOptions = {}): Signal[] {
  const region = options.region && REGION.test(options.region) ? options.region : DEFAULT_REGION;
  const groups = new Map<string, Occurrence[]>();
  const redactor = new Redactor();
  const buckets = new Buckets();
  let remembered = 0;
  const times = new TimeParser();
  for (const finding of findings) {
    // A batch repeats one execution (a loop, a health check): its evidence is redacted once, then
    // only the time and event id of each repeat are read.
    const bucket = buckets.get(finding);
    let redacted: Redacted | undefined;
    for (const earlier of bucket) {
      if (sameEvidence(earlier.finding, finding)) {
        redacted = earlier;
        break;
      }
    }
    let time: string;
    let eventId: string;
    if (redacted === undefined) {
      const elsewhere = buckets.anywhere(finding);
      let evidence: Evidence | undefined;
      for (const earlier of elsewhere) {
        if (sameEvidenceButWorkload(earlier.finding, finding)) {
          evidence = inAnotherWorkload(earlier.evidence, finding, redactor);
          break;
        }
      }
      evidence ??= evidenceOf(finding, redactor);
      let group = groups.get(evidence.key);
      if (group === undefined) {
        group = [];
        groups.set(evidence.key, group);
      }
      redacted = { finding, evidence, group };
      if (remembered < MAX_REDACTED_EVIDENCE && bucket.length < MAX_EVIDENCE_PER_BUCKET) {
        remembered++;
        bucket.push(redacted);
        if (elsewhere.length < MAX_EVIDENCE_PER_BUCKET) elsewhere.push(redacted);
      }
      ({ time, eventId } = evidence);
    } else {
      time = redactor.text(finding.event.time ?? "");
      eventId = redactor.text(finding.event.source.eventId ?? "");
    }
    redacted.group.push({ finding, evidence: redacted.evidence, time, timeMs: times.parse(time), eventId });
  }
  const built: Built[] = [];
  for (const group of groups.values()) {
    const signal = toSignal(group, region);
    built.push({ signal, id: signal.id, earliest: group.reduce(earlierOf) });
  }
  built.sort(byBuiltOrder);
  return built.map((b) => b.signal);
}

/**
 * A built signal and what orders it, read by the sort from one shape of object: signals differ in
 * their optional fields, and reading `id` from each made V8 discard its compiled buildSignals
 * (deoptimized at the sort) again and again in a process's first batches.
 */
interface Built {
  signal: Signal;
  id: string;
  earliest: Occurrence;
}

function earlierOf(min: Occurrence, e: Occurrence): Occurrence {
  return byTime(e, min) < 0 ? e : min;
}

function byBuiltOrder(a: Built, b: Built): number {
  return byTime(a.earliest, b.earliest) || compareStrings(a.id, b.id);
}
