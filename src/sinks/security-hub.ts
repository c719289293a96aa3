/**
 * The Security Hub sink (SECURITY_HUB=true): BatchImportFindings in the AWS Security Finding Format,
 * under the account's default product (`arn:aws:securityhub:<region>:<account>:product/<account>/default`).
 * The finding `Id` is findingId(signal) (rule + workload + utility), so a repeat imports the same
 * Id: Security Hub updates that finding (UpdatedAt, LastObservedAt, the count in ProductFields)
 * instead of adding one. Signals of one call that share an Id are merged into one finding first, as
 * one request must not carry an Id twice.
 *
 * From the ASFF reference: the required top-level attributes are AwsAccountId, CreatedAt,
 * Description, GeneratorId, Id, ProductArn, Resources (at least one), SchemaVersion "2018-10-08",
 * Severity, Title, Types ("namespace/category/classifier") and UpdatedAt; Title is at most 256
 * characters, Description 1024, Remediation.Recommendation.Text 512; at most 100 findings a request.
 * FailedFindings with a passing error code are retried; any other (InvalidInput: a malformed finding)
 * is final and named in the PublishError.
 */
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type Partition,
  type Resource,
  type SecurityHubClient,
} from "@aws-sdk/client-securityhub";
import type { Severity, Signal } from "../model.js";
import { maxSeverity } from "../severity.js";
import { lastSegment } from "../signals/build.js";
import { type Channel, type DeliverOptions, deliver, isRetryableEntryCode } from "./deliver.js";
import { findingId } from "./finding-id.js";
import { clip, renderedSignal } from "./rendered.js";

export const ASFF_SCHEMA_VERSION = "2018-10-08";
export const FINDING_TYPE = "TTPs/Command and Control/Network utility executed in container";
export const IMPORT_MAX_FINDINGS = 100;
/** A finding may weigh 240 KB; a request is kept well under Security Hub's 6 MB. */
const FINDING_BUDGET_BYTES = 64 * 1024;
const REQUEST_MAX_BYTES = 4 * 1024 * 1024;
const PRODUCT_FIELD_PREFIX = "netutil-detector";

export interface FindingContext {
  /** The account the function runs in: the product's account. */
  account: string;
  region: string;
  /** When this import happens (UpdatedAt), ISO-8601. */
  now: string;
}

const LABELS: Record<Severity, "LOW" | "MEDIUM" | "HIGH" | "CRITICAL"> = {
  low: "LOW",
  medium: "MEDIUM",
  high: "HIGH",
  critical: "CRITICAL",
};

function partitionOf(region: string): Partition {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The account's default product: what a finding a customer imports itself names. */
export function productArn(ctx: Pick<FindingContext, "account" | "region">): string {
  return `arn:${partitionOf(ctx.region)}:securityhub:${ctx.region}:${ctx.account}:product/${ctx.account}/default`;
}

const cap = clip;

/** Drops undefined and empty values (Security Hub rejects empty strings in many fields). */
function compact(record: Record<string, string | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined && value !== null && value !== "") out[key] = cap(value, 1024);
  }
  return out;
}

function resources(signal: Signal, ctx: FindingContext): Resource[] {
  const { workload, container } = signal;
  const partition = partitionOf(ctx.region);
  const out: Resource[] = [];
  if (workload.platform === "ecs" && workload.task) {
    const clusterArn =
      workload.cluster && /^arn:/.test(workload.cluster)
        ? workload.cluster
        : workload.cluster
          ? `arn:${partition}:ecs:${ctx.region}:${signal.source.owner}:cluster/${lastSegment(workload.cluster)}`
          : undefined;
    out.push({
      Type: "AwsEcsTask",
      Id: cap(workload.task, 512),
      Partition: partition,
      Region: ctx.region,
      Details: {
        AwsEcsTask: {
          ...(clusterArn ? { ClusterArn: clusterArn } : {}),
          ...(workload.family ? { Group: `family:${workload.family}` } : {}),
          ...(container.name
            ? {
                Containers: [
                  {
                    Name: cap(container.name, 256),
                    ...(container.image ? { Image: cap(container.image, 512) } : {}),
                  },
                ],
              }
            : {}),
        },
      },
    });
  } else if (workload.cluster || workload.pod) {
    const path = [workload.cluster, workload.namespace, workload.pod].filter(Boolean).join("/");
    out.push({
      Type: "Other",
      Id: cap(`${workload.platform}:${path}`, 512),
      Partition: partition,
      Region: ctx.region,
      Details: {
        Other: compact({
          platform: workload.platform,
          eksCluster: workload.platform === "eks" ? workload.cluster : undefined,
          cluster: workload.platform === "eks" ? undefined : workload.cluster,
          namespace: workload.namespace,
          pod: workload.pod,
          owner: workload.owner ? `${workload.owner.kind}/${workload.owner.name}` : undefined,
          node: workload.node,
        }),
      },
    });
  }
  if (container.id || container.name) {
    out.push({
      Type: "Container",
      Id: cap(container.id ?? container.name ?? "", 512),
      Partition: partition,
      Region: ctx.region,
      Details: {
        Container: {
          ...(container.name ? { Name: cap(container.name, 256) } : {}),
          ...(container.image ? { ImageName: cap(container.image, 512) } : {}),
        },
      },
    });
  }
  if (out.length === 0) {
    // Resources needs one entry: the log group that carried the evidence.
    out.push({
      Type: "Other",
      Id: cap(`log-group:${signal.source.logGroup}`, 512),
      Partition: partition,
      Region: ctx.region,
    });
  }
  return out;
}

/** The ASFF finding for one (already redacted) signal. Pure: the clock comes in through `ctx.now`. */
export function buildFinding(input: Signal, ctx: FindingContext): AwsSecurityFinding {
  // Rendering redacts again and bounds the evidence, as for every other sink.
  const signal = renderedSignal(input, FINDING_BUDGET_BYTES);
  const account = /^\d{12}$/.test(signal.source.owner) ? signal.source.owner : ctx.account;
  const commandLine = [signal.process.name, ...signal.process.args].join(" ");
  const description = [
    signal.message,
    ...signal.reasons.map((r) => `- ${r}`),
    `Command line: ${commandLine}`,
  ].join("\n");
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: findingId(input),
    ProductArn: productArn(ctx),
    ProductName: "netutil-detector",
    CompanyName: "netutil-detector",
    GeneratorId: signal.rule.id,
    AwsAccountId: account,
    Types: [FINDING_TYPE],
    FirstObservedAt: signal.firstSeen,
    LastObservedAt: signal.lastSeen,
    CreatedAt: signal.firstSeen,
    UpdatedAt: ctx.now,
    Severity: { Label: LABELS[signal.severity], Original: signal.severity },
    Title: cap(signal.title, 256),
    Description: cap(description, 1024),
    Remediation: {
      Recommendation: {
        Text: cap(signal.triage.map((step, i) => `${i + 1}. ${step}`).join(" "), 512),
        Url: signal.links.rule,
      },
    },
    SourceUrl: signal.links.logStream,
    ProductFields: compact({
      [`${PRODUCT_FIELD_PREFIX}/count`]: String(signal.count),
      [`${PRODUCT_FIELD_PREFIX}/signalId`]: signal.id,
      [`${PRODUCT_FIELD_PREFIX}/utility`]: `${signal.utility.name} (${signal.utility.category})`,
      [`${PRODUCT_FIELD_PREFIX}/sourceFormat`]: signal.source.format,
      [`${PRODUCT_FIELD_PREFIX}/logGroup`]: signal.source.logGroup,
      [`${PRODUCT_FIELD_PREFIX}/logStream`]: signal.source.logStream,
      [`${PRODUCT_FIELD_PREFIX}/mitre`]: `${signal.rule.tactic}/${signal.rule.technique}`,
    }),
    Process: {
      Name: cap(signal.process.name, 128),
      ...(signal.process.path ? { Path: cap(signal.process.path, 512) } : {}),
      LaunchedAt: signal.timestamp,
    },
    Resources: resources(signal, ctx),
    RecordState: "ACTIVE",
  };
}

/** One signal per finding Id: counts add up, the highest severity and the widest time span win. */
export function mergeByFindingId(signals: readonly Signal[]): Signal[] {
  const groups = new Map<string, Signal>();
  for (const signal of signals) {
    const id = findingId(signal);
    const seen = groups.get(id);
    if (!seen) {
      groups.set(id, signal);
      continue;
    }
    groups.set(id, {
      ...seen,
      severity: maxSeverity(seen.severity, signal.severity),
      count: seen.count + signal.count,
      firstSeen: [seen.firstSeen, signal.firstSeen].sort()[0] ?? seen.firstSeen,
      lastSeen: [seen.lastSeen, signal.lastSeen].sort()[1] ?? seen.lastSeen,
    });
  }
  return [...groups.values()];
}

/** Imports a finding for every signal at or above the minimum; throws PublishError for any not imported. */
export async function importSignalFindings(
  client: SecurityHubClient,
  ctx: Omit<FindingContext, "now">,
  signals: readonly Signal[],
  options: DeliverOptions & { now?: () => Date },
) {
  const now = (options.now ?? (() => new Date()))().toISOString();
  const channel: Channel<AwsSecurityFinding> = {
    name: "Security Hub",
    maxEntries: IMPORT_MAX_FINDINGS,
    maxBytes: REQUEST_MAX_BYTES,
    build(signal) {
      const finding = buildFinding(signal, { ...ctx, now });
      return { entry: finding, bytes: Buffer.byteLength(JSON.stringify(finding), "utf8") };
    },
    async send(findings, abortSignal) {
      const response = await client.send(
        new BatchImportFindingsCommand({ Findings: findings }),
        abortSignal ? { abortSignal } : {},
      );
      const failed = new Map((response.FailedFindings ?? []).map((f) => [f.Id, f]));
      return findings.map((finding) => {
        const failure = failed.get(finding.Id);
        if (!failure) return { ok: true as const };
        const code = failure.ErrorCode ?? "UnknownFailure";
        return {
          ok: false as const,
          code,
          message: failure.ErrorMessage ?? "",
          final: !isRetryableEntryCode(code),
        };
      });
    },
  };
  return deliver(channel, mergeByFindingId(signals), options);
}
