/**
 * Findings → Signals: redaction first (every text field, before anything else looks at it), then
 * aggregation within the batch, then a stable id. Pure: no clock, no randomness, input order irrelevant.
 */
import { createHash } from "node:crypto";
import type { Actor, AncestorInfo, Finding, Platform, ProcessInfo, Signal, WorkloadInfo } from "../model.js";
import { CHANNEL_RULE, RULE } from "../model.js";
import { maxSeverity, severityRank } from "../severity.js";
import { redactArgs, redactText } from "./redact.js";
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

/** One finding with every text field already redacted. */
interface Evidence {
  finding: Finding;
  key: string;
  sessionKey: string | undefined;
  time: string;
  timeMs: number;
  eventId: string;
  process: Signal["process"];
  ancestors: AncestorInfo[];
  container: Signal["container"];
  workload: WorkloadInfo;
  actor: Actor | undefined;
  source: Omit<Signal["source"], "eventIds">;
  utilityName: string;
  reasons: string[];
}

// Digits and the punctuation of times and numbers: no masking rule can match such text.
const PLAIN_TEXT = /^[0-9:.TZ+-]*$/;

/** Labels kept per signal: enough to route on, bounded against a pod with thousands. */
const MAX_LABELS = 32;

/**
 * Redaction for one buildSignals call. Redacting is pure and costly, and a batch repeats its text (one
 * container, parent and command line for thousands of events), so each distinct text is redacted once.
 */
class Redactor {
  private readonly texts = new Map<string, string>();
  private readonly argLists = new Map<string, string[]>();

  text = (text: string): string => {
    if (PLAIN_TEXT.test(text)) return text;
    let redacted = this.texts.get(text);
    if (redacted === undefined) {
      redacted = redactText(text);
      this.texts.set(text, redacted);
    }
    return redacted;
  };

  args(args: readonly string[], tool: string): string[] {
    const key = JSON.stringify([tool, ...args]);
    let redacted = this.argLists.get(key);
    if (redacted === undefined) {
      redacted = redactArgs(args, tool);
      this.argLists.set(key, redacted);
    }
    return [...redacted];
  }

  optional(text: string | undefined): string | undefined {
    return typeof text === "string" ? this.text(text) : undefined;
  }

  nullable(text: string | undefined): string | null {
    return typeof text === "string" ? this.text(text) : null;
  }
}

function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

function redactAncestor(ancestor: AncestorInfo | ProcessInfo, r: Redactor): AncestorInfo {
  return withoutUndefined({
    name: r.optional(ancestor.name),
    path: r.optional(ancestor.path),
    args: Array.isArray(ancestor.args)
      ? r.args(ancestor.args, ancestor.name ?? ancestor.path ?? "")
      : undefined,
  });
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
function ancestorsOf(finding: Finding, r: Redactor): AncestorInfo[] {
  const event = finding.event;
  const chain: (AncestorInfo | ProcessInfo)[] = Array.isArray(event.ancestors) ? [...event.ancestors] : [];
  if (event.process && !sameProcess(finding.process, event.process)) chain.unshift(event.process);
  return chain.slice(0, ANCESTORS_IN_SIGNAL).map((ancestor) => redactAncestor(ancestor, r));
}

/** Labels as routing fields: string values only, redacted, at most {@link MAX_LABELS} in key order. */
function redactLabels(labels: unknown, r: Redactor): Record<string, string> | undefined {
  if (labels === null || typeof labels !== "object" || Array.isArray(labels)) return undefined;
  const entries = Object.entries(labels as Record<string, unknown>)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_LABELS);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([key, value]) => [r.text(key), r.text(value)]));
}

function redactWorkload(workload: WorkloadInfo | undefined, r: Redactor): WorkloadInfo {
  const platform = PLATFORMS.includes(workload?.platform as Platform)
    ? (workload?.platform as Platform)
    : "unknown";
  return withoutUndefined({
    platform,
    cluster: r.optional(workload?.cluster),
    namespace: r.optional(workload?.namespace),
    pod: r.optional(workload?.pod),
    task: r.optional(workload?.task),
    node: r.optional(workload?.node),
    // The workload's stable names, which the ledger's group key prefers to the pod.
    owner:
      typeof workload?.owner?.kind === "string" && typeof workload.owner.name === "string"
        ? { kind: r.text(workload.owner.kind), name: r.text(workload.owner.name) }
        : undefined,
    service: r.optional(workload?.service),
    family: r.optional(workload?.family),
    labels: redactLabels(workload?.labels, r),
  });
}

function redactActor(actor: Actor | undefined, r: Redactor): Actor | undefined {
  if (!actor) return undefined;
  return withoutUndefined({
    user: r.optional(actor.user),
    sourceIPs: Array.isArray(actor.sourceIPs)
      ? actor.sourceIPs.slice(0, MAX_SOURCE_IPS).map(r.text)
      : undefined,
    userAgent: r.optional(actor.userAgent),
  });
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

function evidenceOf(finding: Finding, r: Redactor): Evidence {
  const event = finding.event;
  const name = r.text(finding.process.name ?? "");
  const time = r.text(event.time ?? "");
  const container = event.container ?? {};
  const source = event.source;
  const partial: Omit<Evidence, "key"> = {
    finding,
    sessionKey: r.optional(event.sessionKey),
    time,
    timeMs: Date.parse(time),
    eventId: r.text(source.eventId ?? ""),
    process: {
      name,
      path: r.nullable(finding.process.path),
      args: Array.isArray(finding.process.args) ? r.args(finding.process.args, name) : [],
    },
    ancestors: ancestorsOf(finding, r),
    container: {
      id: r.nullable(container.id),
      name: r.nullable(container.name),
      image: r.nullable(container.image),
    },
    workload: redactWorkload(event.workload, r),
    actor: redactActor(event.actor, r),
    source: {
      format: source.format,
      logGroup: r.text(source.logGroup ?? ""),
      logStream: r.text(source.logStream ?? ""),
      owner: r.text(source.owner ?? ""),
      ...(typeof source.vouchedBy === "string" ? { vouchedBy: r.text(source.vouchedBy) } : {}),
    },
    utilityName: r.text(finding.utility.name ?? name),
    reasons: Array.isArray(finding.reasons) ? finding.reasons.map(r.text) : [],
  };
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
  for (const finding of findings) {
    const evidence = evidenceOf(finding, redactor);
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
