import { parseArgs } from "node:util";
import {
  type CloudWatchLogsClient,
  DescribeAccountPoliciesCommand,
  DescribeLogStreamsCommand,
  DescribeSubscriptionFiltersCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { mapBounded } from "../aws/retry.js";
import { UsageError } from "../errors.js";
import {
  type AccountPolicyState,
  assessGroup,
  type CoverageReport,
  type Covered,
  classifyGroup,
  DEFAULT_DETECTOR_NAME,
  DEFAULT_PREFIXES,
  detectorMatcher,
  EKS_AUDIT_STREAM_PREFIX,
  EKS_PREFIX,
  type FilterInfo,
  type GroupKind,
  type PolicyInfo,
  toPolicyInfo,
} from "./coverage-assess.js";
import { withInterrupt } from "./interrupt.js";
import type { CliIO } from "./io.js";
import { createLogsClient, logGroupPages } from "./logs-client.js";
import { formatTable } from "./progress.js";

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
