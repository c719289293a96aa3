import { describe, expect, it } from "vitest";
import { findingId } from "../../src/sinks/finding-id.js";
import { buildFinding, mergeByFindingId, productArn } from "../../src/sinks/security-hub.js";
import { makeSignal } from "../signals/signal-factory.js";

const CTX = { account: "123456789012", region: "eu-west-1", now: "2024-05-01T12:30:00.000Z" };
/** Required top-level attributes, from "Required top-level ASFF attributes" (Security Hub user guide). */
const REQUIRED = [
  "AwsAccountId",
  "CreatedAt",
  "Description",
  "GeneratorId",
  "Id",
  "ProductArn",
  "Resources",
  "SchemaVersion",
  "Severity",
  "Title",
  "Types",
  "UpdatedAt",
];

describe("buildFinding", () => {
  it("fills every required ASFF attribute from the signal", () => {
    const signal = makeSignal(1, "high");

    const finding = buildFinding(signal, CTX);

    for (const key of REQUIRED) expect(finding, key).toHaveProperty(key);
    expect(finding).toMatchObject({
      SchemaVersion: "2018-10-08",
      Id: findingId(signal),
      ProductArn: "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
      GeneratorId: "net_util_in_container",
      AwsAccountId: "123456789012",
      Types: ["TTPs/Command and Control/Network utility executed in container"],
      CreatedAt: signal.firstSeen,
      UpdatedAt: CTX.now,
      FirstObservedAt: signal.firstSeen,
      LastObservedAt: signal.lastSeen,
      Severity: { Label: "HIGH", Original: "high" },
      Title: signal.title,
      SourceUrl: signal.links.logStream,
      Process: { Name: "curl", Path: "/usr/bin/curl", LaunchedAt: signal.timestamp },
      RecordState: "ACTIVE",
    });
    expect(finding.ProductFields).toMatchObject({
      "netutil-detector/count": "1",
      "netutil-detector/signalId": signal.id,
      "netutil-detector/utility": "curl (download)",
    });
    expect(finding.Remediation?.Recommendation?.Text).toBe(
      "1. Check who started the pod 2. Look for files written under /tmp",
    );
  });

  it("describes an EKS pod as Other with the cluster, plus the Container", () => {
    const finding = buildFinding(
      makeSignal(2, "medium", {
        workload: {
          platform: "eks",
          cluster: "prod",
          namespace: "payments",
          pod: "api-2",
          owner: { kind: "Deployment", name: "api" },
        },
      }),
      CTX,
    );

    expect(finding.Resources).toEqual([
      {
        Type: "Other",
        Id: "eks:prod/payments/api-2",
        Partition: "aws",
        Region: "eu-west-1",
        Details: {
          Other: {
            platform: "eks",
            eksCluster: "prod",
            namespace: "payments",
            pod: "api-2",
            owner: "Deployment/api",
          },
        },
      },
      {
        Type: "Container",
        Id: "c0ffee2",
        Partition: "aws",
        Region: "eu-west-1",
        Details: { Container: { Name: "api", ImageName: "registry.example.com/payments/api:1.4.2" } },
      },
    ]);
  });

  it("describes an ECS task as AwsEcsTask with its cluster ARN and container", () => {
    const task = "arn:aws:ecs:eu-west-1:123456789012:task/payments/0123456789abcdef0123456789abcdef";
    const finding = buildFinding(
      makeSignal(3, "critical", { workload: { platform: "ecs", cluster: "payments", task, family: "api" } }),
      CTX,
    );

    expect(finding.Severity?.Label).toBe("CRITICAL");
    expect(finding.Resources?.[0]).toEqual({
      Type: "AwsEcsTask",
      Id: task,
      Partition: "aws",
      Region: "eu-west-1",
      Details: {
        AwsEcsTask: {
          ClusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/payments",
          Group: "family:api",
          Containers: [{ Name: "api", Image: "registry.example.com/payments/api:1.4.2" }],
        },
      },
    });
  });

  it("keeps Title, Description and the recommendation within their ASFF lengths, and redacts", () => {
    const finding = buildFinding(
      makeSignal(4, "high", {
        title: "t".repeat(400),
        reasons: Array.from({ length: 50 }, (_, i) => `reason ${i} ${"x".repeat(80)}`),
        triage: Array.from({ length: 20 }, () => "step ".repeat(40)),
        process: { name: "curl", path: "/usr/bin/curl", args: ["-u", "admin:hunter2secret", "https://x"] },
      }),
      CTX,
    );

    expect(finding.Title?.length).toBeLessThanOrEqual(256);
    expect(finding.Description?.length).toBeLessThanOrEqual(1024);
    expect(finding.Remediation?.Recommendation?.Text?.length).toBeLessThanOrEqual(512);
    expect(JSON.stringify(finding)).not.toContain("hunter2secret");
  });

  it("names the partition's product in China and GovCloud", () => {
    expect(productArn({ account: "123456789012", region: "cn-north-1" })).toBe(
      "arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default",
    );
    expect(productArn({ account: "123456789012", region: "us-gov-west-1" })).toMatch(/^arn:aws-us-gov:/);
  });
});

describe("mergeByFindingId", () => {
  it("merges signals of one finding: counts add up, highest severity, widest time span", () => {
    const owner = { kind: "Deployment", name: "api" };
    const workload = (pod: string) => ({
      platform: "eks" as const,
      cluster: "prod",
      namespace: "payments",
      pod,
      owner,
    });
    const a = makeSignal(10, "medium", {
      workload: workload("api-1"),
      count: 2,
      firstSeen: "2024-05-01T12:00:10.000Z",
      lastSeen: "2024-05-01T12:00:20.000Z",
    });
    const b = makeSignal(11, "high", {
      workload: workload("api-2"),
      count: 3,
      firstSeen: "2024-05-01T12:00:05.000Z",
      lastSeen: "2024-05-01T12:00:15.000Z",
    });
    const other = makeSignal(12, "low");

    const merged = mergeByFindingId([a, b, other]);

    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({
      id: a.id,
      severity: "high",
      count: 5,
      firstSeen: "2024-05-01T12:00:05.000Z",
      lastSeen: "2024-05-01T12:00:20.000Z",
    });
    expect(merged[1]).toBe(other);
  });
});
