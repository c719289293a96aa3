import { parseArgs } from "node:util";
import {
  type AccountPolicy,
  type CloudWatchLogsClient,
  DescribeAccountPoliciesCommand,
  DescribeLogStreamsCommand,
  DescribeSubscriptionFiltersCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { mapBounded } from "../aws/retry.js";
import { UsageError } from "../errors.js";
import { withInterrupt } from "./interrupt.js";
import type { CliIO } from "./io.js";
import { createLogsClient, logGroupPages } from "./logs-client.js";
import { formatTable } from "./progress.js";

/** Container log group prefixes checked by default (ECS task definitions' awslogs groups). */
const DEFAULT_PREFIXES = Object.freeze(["/ecs/", "/aws/ecs/"]);
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
const EKS_PREFIX = "/aws/eks/";
const EKS_CLUSTER_GROUP = /^\/aws\/eks\/[^/]+\/cluster$/;
const EKS_AUDIT_STREAM_PREFIX = "kube-apiserver-audit-";
/** Without --detector-arn, a destination whose name contains this is taken for the detector. */
const DEFAULT_DETECTOR_NAME = "netutil-detector";

const COVERAGE_HELP = `Usage: node dist/cli.js coverage [--prefix P]... [--detector-arn ARN]... [--json]

Lists the container log groups of the account and region, and whether each one sends its
events to the detector. Checked groups: ECS groups under ${DEFAULT_PREFIXES.join(" and ")}, EKS
control-plane groups ${EKS_PREFIX}<cluster>/cluster, and every group under the prefixes you add
(FireLens, Fluent Bit's /aws/containerinsights/<cluster>/application, custom names). Container
Insights metrics groups are never listed: /aws/ecs/containerinsights/*, and
/aws/containerinsights/<cluster>/performance and /prometheus hold metrics, not container output.

A group is covered when one of its subscription filters, or the account-level subscription
filter policy (unless its selection criteria exclude the group), delivers to the detector:
  - with --detector-arn: one of those ARNs (a Lambda function, with or without a version or
    alias qualifier; or a Kinesis stream, Firehose stream or CloudWatch Logs destination);
  - without it: any Lambda function, Kinesis stream, Firehose stream or CloudWatch Logs
    destination whose name contains "${DEFAULT_DETECTOR_NAME}".
With delivery = "kinesis", log groups subscribe to the stream, not to the function: give the
stream's ARN (Terraform output kinesis_stream_arn) as well as the function's, or neither and
rely on the name match. Given the function's ARN alone, Kinesis-fed groups count as uncovered.

For EKS groups it also checks that audit log streams (${EKS_AUDIT_STREAM_PREFIX}*) exist: without
them kubectl exec is invisible to the detector, and a subscribed group shows "no-audit-logs"
until the cluster's audit log type is enabled.

  --prefix P             also check log groups whose names start with P (repeatable)
  --detector-arn ARN     the detector's destination ARN (repeatable: the function and its stream)
  --skip-account-policy  do not read the account-level policy (groups without a filter count as
                         uncovered instead of unknown when the policy cannot be read)
  --json                 print a JSON report instead of the table
  -h, --help             this text

Needs logs:DescribeLogGroups, DescribeSubscriptionFilters, DescribeLogStreams and
DescribeAccountPolicies. Exit status: 0 every group covered; 1 a group is uncovered, an EKS group
has no audit logs, or a group's coverage could not be determined (the account policy could not be
read); 2 usage error; 130 interrupted (Ctrl-C).
`;

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

async function listGroups(
  logs: CloudWatchLogsClient,
  prefix: string,
  signal: AbortSignal,
): Promise<string[]> {
  const names: string[] = [];
  for await (const groups of logGroupPages(logs, prefix, signal)) {
    for (const group of groups) if (group.logGroupName) names.push(group.logGroupName);
  }
  return names;
}

async function listFilters(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  signal: AbortSignal,
): Promise<FilterInfo[]> {
  const filters: FilterInfo[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName, nextToken }), {
      abortSignal: signal,
    });
    for (const f of page.subscriptionFilters ?? []) {
      filters.push({
        name: f.filterName ?? "(unnamed)",
        destinationArn: f.destinationArn ?? "",
        filterPattern: f.filterPattern ?? "",
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return filters;
}

async function hasAuditStreams(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  signal: AbortSignal,
): Promise<boolean> {
  const page = await logs.send(
    new DescribeLogStreamsCommand({ logGroupName, logStreamNamePrefix: EKS_AUDIT_STREAM_PREFIX, limit: 1 }),
    { abortSignal: signal },
  );
  return (page.logStreams?.length ?? 0) > 0;
}

function errorText(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const first = (e.message ?? String(error)).split("\n")[0];
  return `${e.name ?? "Error"}${status ? ` (HTTP ${status})` : ""}: ${first}`;
}

async function readAccountPolicy(
  logs: CloudWatchLogsClient,
  signal: AbortSignal,
): Promise<AccountPolicyState> {
  try {
    const policies: PolicyInfo[] = [];
    let nextToken: string | undefined;
    do {
      const page = await logs.send(
        new DescribeAccountPoliciesCommand({ policyType: "SUBSCRIPTION_FILTER_POLICY", nextToken }),
        { abortSignal: signal },
      );
      for (const p of page.accountPolicies ?? []) policies.push(toPolicyInfo(p));
      nextToken = page.nextToken;
    } while (nextToken);
    return { status: "read", policies };
  } catch (error) {
    if (signal.aborted) throw error;
    // Missing permission, or an endpoint that does not implement the API (moto answers with an HTML page).
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if ((error as Error).name === "SyntaxError") {
      const where = status ? `HTTP ${status}` : "a response";
      return {
        status: "unknown",
        reason: `DescribeAccountPolicies got ${where} that is not the API's JSON (endpoint does not implement it?)`,
      };
    }
    return { status: "unknown", reason: errorText(error) };
  }
}

/** Collects the report from CloudWatch Logs; rejects (AbortError) as soon as `signal` aborts. */
async function collectCoverage(
  logs: CloudWatchLogsClient,
  options: {
    prefixes: readonly string[];
    isDetector: (arn: string) => boolean;
    skipAccountPolicy: boolean;
    signal?: AbortSignal;
  },
): Promise<CoverageReport> {
  const signal = options.signal ?? new AbortController().signal;
  const names = new Set<string>();
  for (const prefix of [...DEFAULT_PREFIXES, EKS_PREFIX, ...options.prefixes]) {
    for (const name of await listGroups(logs, prefix, signal)) names.add(name);
  }
  const groups = [...names]
    .sort()
    .map((name) => ({ name, kind: classifyGroup(name, options.prefixes) }))
    .filter((g): g is { name: string; kind: GroupKind } => g.kind !== null);
  const policy: CoverageReport["accountPolicy"] = options.skipAccountPolicy
    ? { status: "skipped" }
    : await readAccountPolicy(logs, signal);
  // DescribeSubscriptionFilters allows 5 requests per second per account: stay below.
  const assessed = await mapBounded(groups, 4, async (group) => {
    const filters = await listFilters(logs, group.name, signal);
    const audit = group.kind === "eks" ? await hasAuditStreams(logs, group.name, signal) : undefined;
    return assessGroup(group, filters, policy, options.isDetector, audit);
  });
  const count = (c: Covered) => assessed.filter((g) => g.covered === c).length;
  return {
    groups: assessed,
    accountPolicy: policy,
    summary: {
      groups: assessed.length,
      covered: count("yes"),
      uncovered: count("no"),
      noAuditLogs: count("no-audit-logs"),
      unknown: count("unknown"),
    },
  };
}

function describePolicy(state: CoverageReport["accountPolicy"]): string {
  if (state.status === "skipped") return "not checked (--skip-account-policy)";
  if (state.status === "unknown") return `unknown, could not be read: ${state.reason}`;
  if (state.policies.length === 0) return "none";
  return state.policies
    .map((p) => {
      const scope =
        p.excluded === null
          ? `selection criteria not understood: ${p.selectionCriteria}`
          : p.excluded.length > 0
            ? `excludes ${p.excluded.length} group(s)`
            : "all groups";
      return `"${p.name}" -> ${p.destinationArn ?? "(no destination)"} (${scope})`;
    })
    .join("; ");
}

/** The human report: one row per group, the account policy, and the totals. */
export function formatCoverageTable(report: CoverageReport): string {
  const rows = report.groups.map((g) => [
    g.logGroup,
    g.kind,
    g.covered,
    g.via ?? "-",
    g.auditStreams === undefined ? "-" : g.auditStreams ? "yes" : "no",
    g.notes.join("; "),
  ]);
  const table =
    rows.length > 0
      ? formatTable(
          [
            { header: "log group" },
            { header: "kind" },
            { header: "covered" },
            { header: "via" },
            { header: "audit" },
            { header: "notes" },
          ],
          rows,
        )
      : "no container log groups found\n";
  const s = report.summary;
  return (
    `${table}\naccount-level subscription policy: ${describePolicy(report.accountPolicy)}\n` +
    `${s.groups} group(s): ${s.covered} covered, ${s.uncovered} uncovered, ` +
    `${s.noAuditLogs} without audit logs, ${s.unknown} unknown\n`
  );
}

/**
 * `coverage`: exit status per {@link COVERAGE_HELP}. `deps` lets tests inject a client and an
 * interrupt signal (the command listens for SIGINT when absent).
 */
export async function runCoverage(
  argv: string[],
  io: CliIO,
  deps: { logs?: CloudWatchLogsClient; interrupt?: AbortSignal } = {},
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      prefix: { type: "string", multiple: true },
      "detector-arn": { type: "string", multiple: true },
      "skip-account-policy": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  if (values.help) {
    io.stderr(COVERAGE_HELP);
    return 0;
  }
  const prefixes = values.prefix ?? [];
  if (prefixes.some((p) => !p.trim())) throw new UsageError("--prefix must not be empty");
  const detectorArns = values["detector-arn"] ?? [];
  for (const arn of detectorArns) {
    if (!/^arn:aws[a-z-]*:(lambda|kinesis|firehose|logs):/.test(arn)) {
      throw new UsageError(
        `--detector-arn must be a Lambda, Kinesis, Firehose or CloudWatch Logs destination ARN; got "${arn}"`,
      );
    }
  }
  const region = io.env.AWS_REGION?.trim();
  const logs = deps.logs ?? createLogsClient(region ? { region } : {});
  const collected = await withInterrupt(deps.interrupt, async (signal) => {
    try {
      return await collectCoverage(logs, {
        prefixes,
        isDetector: detectorMatcher(detectorArns),
        skipAccountPolicy: values["skip-account-policy"],
        signal,
      });
    } catch (error) {
      if (signal.aborted) {
        io.stderr("coverage interrupted\n");
        return 130;
      }
      io.stderr(`error: cannot read log groups: ${errorText(error)}\n`);
      return 1;
    }
  });
  if (typeof collected === "number") return collected;
  const report: CoverageReport = collected;
  if (values.json) io.stdout(JSON.stringify(report));
  else for (const line of formatCoverageTable(report).trimEnd().split("\n")) io.stdout(line);
  if (!values.json && report.accountPolicy.status === "unknown" && report.summary.unknown > 0) {
    io.stderr(
      "note: groups without a filter are 'unknown' because the account-level policy could not be read; " +
        "grant logs:DescribeAccountPolicies or pass --skip-account-policy if the account uses none\n",
    );
  }
  const { uncovered, noAuditLogs, unknown } = report.summary;
  return uncovered + noAuditLogs + unknown > 0 ? 1 : 0;
}
