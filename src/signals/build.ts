/**
 * Findings → Signals: redaction first (every text field, before anything else looks at it), then
 * aggregation within the batch, then a stable id. Pure: no clock, no randomness, input order irrelevant.
 *
 * A little past ~400 lines on purpose: grouping, the repeated-execution shortcut (an identical
 * execution's evidence redacted once) and the id are one transformation whose invariants (same input,
 * same signals and ids, in any order) are only checkable in one place.
 */
import { createHash } from "node:crypto";
import type { Actor, AncestorInfo, Finding, Platform, ProcessInfo, Signal, WorkloadInfo } from "../model.js";
import { CHANNEL_RULE, RULE } from "../model.js";
import { maxSeverity, severityRank } from "../severity.js";
import { Redactor } from "./redact.js";
import { type FieldsOf, mapFields, SIGNAL_FIELDS, SOURCE_FIELDS, TEXT } from "./signal-fields.js";
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

/** One finding with every text field already redacted. */
interface Evidence extends EvidenceText {
  finding: Finding;
  key: string;
  timeMs: number;
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

function aggregationKey(e: Omit<Evidence, "key">): string {
  const rule = (e.finding.rule ?? RULE).id;
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
  const partial: Omit<Evidence, "key"> = { ...text, finding, timeMs: Date.parse(text.time) };
  return { ...partial, key: aggregationKey(partial) };
}

/** Earliest first; an unparsable time sorts after every parsable one. */
function byTime(a: Evidence, b: Evidence): number {
  const ta = Number.isNaN(a.timeMs) ? Number.POSITIVE_INFINITY : a.timeMs;
  const tb = Number.isNaN(b.timeMs) ? Number.POSITIVE_INFINITY : b.timeMs;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareStrings(a.time, b.time) || compareStrings(a.eventId, b.eventId);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Severity first, then time, then every other field: the representative never depends on input order. */
function byImportance(a: Evidence, b: Evidence): number {
  return (
    severityRank(b.finding.severity) - severityRank(a.finding.severity) ||
    byTime(a, b) ||
    compareStrings(JSON.stringify(a.reasons), JSON.stringify(b.reasons)) ||
    compareStrings(JSON.stringify(a.ancestors), JSON.stringify(b.ancestors))
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

function titleOf(e: Evidence): string {
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
  if (e.finding.event.viaExecSession === true) {
    title += workload.platform === "ecs" ? " via ECS Exec" : " via kubectl exec";
  } else if (e.process.path?.includes("/")) {
    title += ` from ${clip(e.process.path.slice(0, e.process.path.lastIndexOf("/")) || "/")}`;
  }
  return title;
}

function signalId(key: string, discriminator: string): string {
  return createHash("sha256").update(`${key}${SEP}${discriminator}`).digest("hex").slice(0, 32);
}

function toSignal(group: Evidence[], region: string): Signal {
  const ordered = [...group].sort(byImportance);
  const chronological = [...group].sort(byTime);
  const rep = ordered[0]!;
  const first = chronological[0]!;
  const last = chronological[chronological.length - 1]!;

  const eventIds = [...new Set(chronological.map((e) => e.eventId))];
  const smallestEventId = [...eventIds].sort()[0] ?? "";
  const reasons = [...new Set(ordered.flatMap((e) => e.reasons))];
  const severity = ordered.map((e) => e.finding.severity).reduce(maxSeverity);

  const signal: Signal = {
    id: signalId(rep.key, rep.sessionKey ?? smallestEventId),
    rule: rep.finding.rule ?? RULE,
    severity,
    reasons,
    timestamp: first.time,
    firstSeen: first.time,
    lastSeen: last.time,
    // One exec session logged at several stages is one execution.
    count: rep.sessionKey !== undefined ? 1 : group.length,
    title: titleOf(rep),
    message:
      rep.finding.rule?.id === CHANNEL_RULE.id
        ? `The process \`${rep.process.name}\` opened a network channel, potentially a reverse shell or a tunnel.`
        : `The process \`${rep.process.name}\` was executed, potentially to download additional tools.`,
    utility: { name: rep.utilityName, category: rep.finding.utility.category },
    process: rep.process,
    ancestors: rep.ancestors,
    container: rep.container,
    workload: rep.workload,
    inContainer: rep.finding.event.inContainer,
    viaExecSession: rep.finding.event.viaExecSession === true,
    source: {
      format: rep.source.format,
      logGroup: rep.source.logGroup,
      logStream: rep.source.logStream,
      eventIds: eventIds.slice(0, MAX_EVENT_IDS),
      owner: rep.source.owner,
      ...(rep.source.vouchedBy !== undefined ? { vouchedBy: rep.source.vouchedBy } : {}),
    },
    triage: [...TRIAGE_STEPS],
    links: {
      logStream: logStreamConsoleUrl(region, rep.source.logGroup, rep.source.logStream),
      mitreTactic: MITRE_TACTIC_URL,
      mitreTechnique:
        rep.finding.rule?.id === CHANNEL_RULE.id ? CHANNEL_MITRE_TECHNIQUE_URL : MITRE_TECHNIQUE_URL,
      rule: RULE_DOC_URL,
    },
  };
  if (rep.actor) signal.actor = rep.actor;
  return signal;
}

/** Distinct evidence remembered per buildSignals call (see {@link repeatKey}). */
const MAX_REDACTED_EVIDENCE = 2048;

/**
 * What the evidence of a finding is made of (its process, the event's ancestors, container, workload,
 * actor, session and source, the utility, reasons and rule), but what tells one run of a command from
 * the next (time, log event id): findings with the same key have the same evidence but for those two.
 */
function repeatKey(finding: Finding): string {
  const { event, process } = finding;
  const { source } = event;
  return JSON.stringify([
    finding.rule?.id,
    finding.utility?.name,
    finding.reasons,
    process?.name,
    process?.path,
    process?.args,
    event.process?.name,
    event.process?.path,
    event.process?.args,
    event.ancestors,
    event.container,
    event.workload,
    event.actor,
    event.sessionKey,
    source?.format,
    source?.logGroup,
    source?.logStream,
    source?.owner,
    source?.vouchedBy,
  ]);
}

/** The evidence of `finding`, a repeat of the one `first` was redacted from. */
function repeatOf(first: Evidence, finding: Finding, r: Redactor): Evidence {
  const time = r.text(finding.event.time ?? "");
  return {
    ...first,
    finding,
    time,
    timeMs: Date.parse(time),
    eventId: r.text(finding.event.source.eventId ?? ""),
  };
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
  const groups = new Map<string, Evidence[]>();
  const redactor = new Redactor();
  const redacted = new Map<string, Evidence>();
  for (const finding of findings) {
    // A batch repeats one execution (a loop, a health check): its evidence is redacted once, then
    // only the time and event id of each repeat are read.
    const same = repeatKey(finding);
    const first = redacted.get(same);
    const evidence = first === undefined ? evidenceOf(finding, redactor) : repeatOf(first, finding, redactor);
    if (first === undefined && redacted.size < MAX_REDACTED_EVIDENCE) redacted.set(same, evidence);
    const group = groups.get(evidence.key);
    if (group) group.push(evidence);
    else groups.set(evidence.key, [evidence]);
  }
  const built = [...groups.values()].map((group) => ({
    signal: toSignal(group, region),
    earliest: group.reduce((min, e) => (byTime(e, min) < 0 ? e : min)),
  }));
  built.sort((a, b) => byTime(a.earliest, b.earliest) || compareStrings(a.signal.id, b.signal.id));
  return built.map((b) => b.signal);
}
