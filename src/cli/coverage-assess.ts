// What coverage decides, apart from how it asks: the kinds of container log groups, the shapes of
// subscription filters and account policies, and the pure decision whether a group reaches the
// detector. src/cli/coverage.ts lists groups and filters through CloudWatch Logs and prints the report.
import type { AccountPolicy } from "@aws-sdk/client-cloudwatch-logs";

/** Container log group prefixes checked by default (ECS task definitions' awslogs groups). */
export const DEFAULT_PREFIXES = Object.freeze(["/ecs/", "/aws/ecs/"]);
/**
 * Container Insights metrics groups: embedded-metric-format records (CPU, memory, Prometheus
 * scrapes), never process or container output, so there is nothing to detect and no subscription
 * to ask for. ECS Container Insights writes only such groups (`<cluster>/performance`,
 * `<cluster>/prometheus`). Under /aws/containerinsights/<cluster>/ only `performance` and
 * `prometheus` are metrics: `application`, `host` and `dataplane` are Fluent Bit log groups
 * (container stdout, node syslog, kubelet) and stay in the report.
 */
const METRICS_GROUPS = [
  /^\/aws\/ecs\/containerinsights\//,
  /^\/aws\/containerinsights\/[^/]+\/(performance|prometheus)$/,
];

/** Whether a log group holds Container Insights metrics only (see {@link METRICS_GROUPS}). */
function isMetricsGroup(name: string): boolean {
  return METRICS_GROUPS.some((pattern) => pattern.test(name));
}
/** EKS control-plane groups: /aws/eks/<cluster>/cluster. */
export const EKS_PREFIX = "/aws/eks/";
const EKS_CLUSTER_GROUP = /^\/aws\/eks\/[^/]+\/cluster$/;
export const EKS_AUDIT_STREAM_PREFIX = "kube-apiserver-audit-";
/** Without --detector-arn, a destination whose name contains this is taken for the detector. */
export const DEFAULT_DETECTOR_NAME = "netutil-detector";

export type GroupKind = "ecs" | "eks" | "custom";
/**
 * "no-audit-logs": an EKS control-plane group that reaches the detector but holds no audit
 * streams, so the one event the detector reads there (pods/exec) never arrives.
 */
export type Covered = "yes" | "no" | "no-audit-logs" | "unknown";

export interface FilterInfo {
  name: string;
  destinationArn: string;
  filterPattern: string;
}

export interface PolicyInfo {
  name: string;
  destinationArn: string | null;
  filterPattern: string;
  /** Raw selection criteria; absent means every log group. */
  selectionCriteria: string | null;
  /** Log group names excluded by `LogGroupName NOT IN [...]`; null when the criteria cannot be read. */
  excluded: string[] | null;
}

/** The account-level subscription filter policies, or why they could not be read. */
export type AccountPolicyState =
  | { status: "read"; policies: PolicyInfo[] }
  | { status: "unknown"; reason: string };

export interface GroupCoverage {
  logGroup: string;
  kind: GroupKind;
  covered: Covered;
  via: "subscription-filter" | "account-policy" | null;
  filters: FilterInfo[];
  /** EKS groups only: whether kube-apiserver-audit-* streams exist. */
  auditStreams?: boolean;
  notes: string[];
}

export interface CoverageReport {
  groups: GroupCoverage[];
  accountPolicy: AccountPolicyState | { status: "skipped" };
  summary: { groups: number; covered: number; uncovered: number; noAuditLogs: number; unknown: number };
}

const LAMBDA_ARN = /^(arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+)(?::[^:]+)?$/;

/** The name of the resource an ARN points to, for the destinations a subscription can have. */
export function destinationName(arn: string): string | null {
  const lambda = LAMBDA_ARN.exec(arn);
  if (lambda) return lambda[1]?.split(":").pop() ?? null;
  const match =
    /^arn:aws[a-z-]*:(kinesis|firehose|logs):[^:]*:\d{12}:(stream\/|deliverystream\/|destination:)(.+)$/.exec(
      arn,
    );
  return match?.[3] ?? null;
}

function normalizeArn(arn: string): string {
  // A filter may point at an alias or version; it still invokes the detector function.
  return LAMBDA_ARN.exec(arn)?.[1] ?? arn;
}

/**
 * Decides whether a destination ARN is the detector: one of `detectorArns` (a Lambda function
 * whatever its qualifier, or the stream, Firehose or destination in front of it), or, when none
 * is given, any destination named like {@link DEFAULT_DETECTOR_NAME}.
 */
export function detectorMatcher(detectorArns: readonly string[] = []): (destinationArn: string) => boolean {
  if (detectorArns.length > 0) {
    const wanted = new Set(detectorArns.map(normalizeArn));
    return (destinationArn) => wanted.has(normalizeArn(destinationArn));
  }
  return (destinationArn) => destinationName(destinationArn)?.includes(DEFAULT_DETECTOR_NAME) ?? false;
}

/**
 * Reads `LogGroupName NOT IN ["a", "b"]`, the only selection criteria CloudWatch Logs supports for
 * subscription filter policies. Returns the excluded names, or null when the text is something else.
 */
export function parseSelectionCriteria(text: string): string[] | null {
  const match = /^\s*LogGroupName\s+NOT\s+IN\s*(\[[\s\S]*\])\s*$/i.exec(text);
  if (!match?.[1]) return null;
  try {
    const list: unknown = JSON.parse(match[1]);
    return Array.isArray(list) && list.every((v) => typeof v === "string") ? list : null;
  } catch {
    return null;
  }
}

/** Extracts what matters from one DescribeAccountPolicies entry; never throws. */
export function toPolicyInfo(policy: AccountPolicy): PolicyInfo {
  let document: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(policy.policyDocument ?? "{}");
    if (typeof parsed === "object" && parsed !== null) document = parsed as Record<string, unknown>;
  } catch {
    // An unreadable document has no destination we could match: treated as not the detector.
  }
  const criteria = policy.selectionCriteria?.trim() || null;
  return {
    name: policy.policyName ?? "(unnamed)",
    destinationArn: typeof document.DestinationArn === "string" ? document.DestinationArn : null,
    filterPattern: typeof document.FilterPattern === "string" ? document.FilterPattern : "",
    selectionCriteria: criteria,
    excluded: criteria === null ? [] : parseSelectionCriteria(criteria),
  };
}

/** Which kind of container log group a name is, or null when coverage does not look at it. */
export function classifyGroup(name: string, extraPrefixes: readonly string[]): GroupKind | null {
  if (isMetricsGroup(name)) return null;
  if (EKS_CLUSTER_GROUP.test(name)) return "eks";
  if (DEFAULT_PREFIXES.some((p) => name.startsWith(p))) return "ecs";
  if (extraPrefixes.some((p) => name.startsWith(p))) return "custom";
  return null;
}

function patternNote(pattern: string, what: string): string[] {
  return pattern.trim()
    ? [`${what} has filter pattern ${JSON.stringify(pattern)}: only matching events reach it`]
    : [];
}

/** The note for an EKS group without audit streams, with the command that turns them on. */
function auditNote(logGroup: string, subscribed: boolean): string {
  const cluster = logGroup.split("/")[3] ?? "CLUSTER";
  const logging = JSON.stringify({ clusterLogging: [{ types: ["audit"], enabled: true }] });
  return (
    `${subscribed ? "subscribed, but no" : "no"} ${EKS_AUDIT_STREAM_PREFIX}* streams, so kubectl exec is invisible: ` +
    `enable the audit log type (aws eks update-cluster-config --name ${cluster} --logging '${logging}')`
  );
}

/**
 * Pure coverage decision for one group from its filters, the account policy state and (EKS) the
 * presence of audit streams.
 */
export function assessGroup(
  group: { name: string; kind: GroupKind },
  filters: FilterInfo[],
  policy: AccountPolicyState | { status: "skipped" },
  isDetector: (destinationArn: string) => boolean,
  auditStreams?: boolean,
): GroupCoverage {
  const result = assessDelivery(group, filters, policy, isDetector);
  if (group.kind !== "eks") return result;
  result.auditStreams = auditStreams === true;
  if (!auditStreams) {
    // Subscribed yet blind: reported apart from "yes" so the exit status and the totals show it.
    if (result.covered === "yes") result.covered = "no-audit-logs";
    result.notes.unshift(auditNote(group.name, result.covered === "no-audit-logs"));
  }
  return result;
}

function assessDelivery(
  group: { name: string; kind: GroupKind },
  filters: FilterInfo[],
  policy: AccountPolicyState | { status: "skipped" },
  isDetector: (destinationArn: string) => boolean,
): GroupCoverage {
  const result: GroupCoverage = {
    logGroup: group.name,
    kind: group.kind,
    covered: "no",
    via: null,
    filters,
    notes: [],
  };
  const direct = filters.find((f) => isDetector(f.destinationArn));
  if (direct) {
    result.covered = "yes";
    result.via = "subscription-filter";
    result.notes.push(...patternNote(direct.filterPattern, `subscription filter "${direct.name}"`));
    return result;
  }
  if (policy.status === "read") {
    const applicable = policy.policies.filter(
      (p) => p.destinationArn !== null && isDetector(p.destinationArn),
    );
    const including = applicable.find((p) => p.excluded !== null && !p.excluded.includes(group.name));
    if (including) {
      result.covered = "yes";
      result.via = "account-policy";
      result.notes.push(...patternNote(including.filterPattern, `account policy "${including.name}"`));
      return result;
    }
    const unreadable = applicable.find((p) => p.excluded === null);
    if (unreadable) {
      result.covered = "unknown";
      result.notes.push(`account policy "${unreadable.name}" has selection criteria this tool cannot read`);
      return result;
    }
    if (applicable.length > 0)
      result.notes.push("excluded from the account policy by its selection criteria");
  } else if (policy.status === "unknown") {
    result.covered = "unknown";
    result.notes.push("no filter to the detector; account policy unreadable");
  }
  if (filters.length >= 2) result.notes.push("both subscription filter slots are used by other destinations");
  return result;
}
