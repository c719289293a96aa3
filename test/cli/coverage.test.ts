import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { formatCoverageTable, runCoverage } from "../../src/cli/coverage.js";
import {
  type AccountPolicyState,
  assessGroup,
  classifyGroup,
  destinationName,
  detectorMatcher,
  type FilterInfo,
  parseSelectionCriteria,
  toPolicyInfo,
} from "../../src/cli/coverage-assess.js";
import type { CliIO } from "../../src/cli/io.js";
import { createLogsClient } from "../../src/cli/logs-client.js";

const DETECTOR = "arn:aws:lambda:eu-west-1:111122223333:function:prod-netutil-detector";
const OTHER = "arn:aws:lambda:eu-west-1:111122223333:function:log-shipper";

function filter(destinationArn: string, name = "to-detector", filterPattern = ""): FilterInfo {
  return { name, destinationArn, filterPattern };
}

const NO_POLICY: AccountPolicyState = { status: "read", policies: [] };

function policyState(selectionCriteria?: string, destinationArn = DETECTOR): AccountPolicyState {
  return {
    status: "read",
    policies: [
      toPolicyInfo({
        policyName: "org-wide-netutil",
        policyType: "SUBSCRIPTION_FILTER_POLICY",
        policyDocument: JSON.stringify({
          DestinationArn: destinationArn,
          FilterPattern: "",
          Distribution: "Random",
        }),
        scope: "ALL",
        ...(selectionCriteria ? { selectionCriteria } : {}),
      }),
    ],
  };
}

describe("detectorMatcher", () => {
  it("by default recognizes any destination named netutil-detector", () => {
    const isDetector = detectorMatcher();

    expect(isDetector(DETECTOR)).toBe(true);
    expect(isDetector(`${DETECTOR}:live`)).toBe(true);
    expect(isDetector("arn:aws:kinesis:eu-west-1:111122223333:stream/netutil-detector-logs")).toBe(true);
    expect(isDetector("arn:aws:firehose:eu-west-1:111122223333:deliverystream/netutil-detector")).toBe(true);
    expect(isDetector("arn:aws:logs:eu-west-1:444455556666:destination:netutil-detector-central")).toBe(true);
    expect(isDetector(OTHER)).toBe(false);
    expect(isDetector("arn:aws:s3:::netutil-detector")).toBe(false);
  });

  it("with an explicit ARN matches that function, whatever the qualifier", () => {
    const isDetector = detectorMatcher(["arn:aws:lambda:eu-west-1:111122223333:function:sec-hunter"]);

    expect(isDetector("arn:aws:lambda:eu-west-1:111122223333:function:sec-hunter:prod")).toBe(true);
    expect(isDetector("arn:aws:lambda:eu-west-1:111122223333:function:sec-hunter")).toBe(true);
    expect(isDetector(DETECTOR)).toBe(false);
  });

  it("with several ARNs matches each: the function and the Kinesis stream that feeds it", () => {
    const stream = "arn:aws:kinesis:eu-west-1:111122223333:stream/sec-logs";
    const isDetector = detectorMatcher(["arn:aws:lambda:eu-west-1:111122223333:function:sec-hunter", stream]);

    expect(isDetector("arn:aws:lambda:eu-west-1:111122223333:function:sec-hunter:live")).toBe(true);
    expect(isDetector(stream)).toBe(true);
    expect(isDetector("arn:aws:kinesis:eu-west-1:111122223333:stream/other-logs")).toBe(false);
    expect(isDetector(DETECTOR)).toBe(false);
  });

  it("reads resource names of every destination kind", () => {
    expect(destinationName(`${DETECTOR}:7`)).toBe("prod-netutil-detector");
    expect(destinationName("arn:aws:kinesis:us-east-1:111122223333:stream/s1")).toBe("s1");
    expect(destinationName("arn:aws:sqs:us-east-1:111122223333:q")).toBeNull();
  });
});

describe("parseSelectionCriteria", () => {
  it("reads the excluded names", () => {
    expect(parseSelectionCriteria('LogGroupName NOT IN ["/ecs/a", "/ecs/b"]')).toEqual(["/ecs/a", "/ecs/b"]);
    expect(parseSelectionCriteria("LogGroupName NOT IN []")).toEqual([]);
  });

  it("returns null for anything it cannot read", () => {
    expect(parseSelectionCriteria('LogGroupName IN ["/ecs/a"]')).toBeNull();
    expect(parseSelectionCriteria("LogGroupName NOT IN [/ecs/a]")).toBeNull();
  });
});

describe("classifyGroup", () => {
  it("keeps ECS, EKS control-plane and user-prefixed groups, drops Container Insights", () => {
    expect(classifyGroup("/ecs/payments", [])).toBe("ecs");
    expect(classifyGroup("/aws/ecs/payments/api", [])).toBe("ecs");
    expect(classifyGroup("/aws/ecs/containerinsights/prod/performance", [])).toBeNull();
    expect(classifyGroup("/aws/eks/prod/cluster", [])).toBe("eks");
    expect(classifyGroup("/aws/eks/prod/other", [])).toBeNull();
    expect(classifyGroup("firelens/api", ["firelens/"])).toBe("custom");
    expect(classifyGroup("/aws/lambda/x", [])).toBeNull();
  });

  it("with the README's --prefix /aws/containerinsights/ keeps Fluent Bit log groups, drops metrics groups", () => {
    const prefixes = ["/aws/containerinsights/"];

    const kinds = Object.fromEntries(
      [
        "/aws/containerinsights/prod/application",
        "/aws/containerinsights/prod/host",
        "/aws/containerinsights/prod/dataplane",
        "/aws/containerinsights/prod/performance",
        "/aws/containerinsights/prod/prometheus",
        "/aws/containerinsights/performance-team/application",
      ].map((name) => [name, classifyGroup(name, prefixes)]),
    );

    expect(kinds).toEqual({
      "/aws/containerinsights/prod/application": "custom",
      "/aws/containerinsights/prod/host": "custom",
      "/aws/containerinsights/prod/dataplane": "custom",
      "/aws/containerinsights/prod/performance": null,
      "/aws/containerinsights/prod/prometheus": null,
      "/aws/containerinsights/performance-team/application": "custom",
    });
  });

  it("drops ECS Container Insights groups even under a prefix the user adds", () => {
    const prefixes = ["/aws/ecs/containerinsights/"];

    expect(classifyGroup("/aws/ecs/containerinsights/prod/performance", prefixes)).toBeNull();
    expect(classifyGroup("/aws/ecs/containerinsights/prod/prometheus", prefixes)).toBeNull();
  });
});

describe("assessGroup", () => {
  const ecs = { name: "/ecs/payments", kind: "ecs" as const };
  const isDetector = detectorMatcher();

  it("is covered by a subscription filter to the detector", () => {
    const result = assessGroup(ecs, [filter(OTHER, "shipper"), filter(DETECTOR)], NO_POLICY, isDetector);

    expect(result).toMatchObject({ covered: "yes", via: "subscription-filter", notes: [] });
  });

  it("notes a filter pattern that forwards only some events", () => {
    const result = assessGroup(ecs, [filter(DETECTOR, "d", "?curl ?wget")], NO_POLICY, isDetector);

    expect(result.covered).toBe("yes");
    expect(result.notes[0]).toContain('"?curl ?wget"');
  });

  it("is uncovered without a filter or policy, and says when no slot is free", () => {
    const result = assessGroup(ecs, [filter(OTHER, "a"), filter(OTHER, "b")], NO_POLICY, isDetector);

    expect(result).toMatchObject({ covered: "no", via: null });
    expect(result.notes).toEqual(["both subscription filter slots are used by other destinations"]);
  });

  it("is covered by an account policy that does not exclude it", () => {
    const result = assessGroup(ecs, [], policyState('LogGroupName NOT IN ["/ecs/other"]'), isDetector);

    expect(result).toMatchObject({ covered: "yes", via: "account-policy" });
  });

  it("is covered by an account policy without selection criteria", () => {
    expect(assessGroup(ecs, [], policyState(), isDetector).via).toBe("account-policy");
  });

  it("is uncovered when the account policy excludes it", () => {
    const result = assessGroup(ecs, [], policyState('LogGroupName NOT IN ["/ecs/payments"]'), isDetector);

    expect(result.covered).toBe("no");
    expect(result.notes).toContain("excluded from the account policy by its selection criteria");
  });

  it("ignores an account policy that delivers elsewhere", () => {
    expect(assessGroup(ecs, [], policyState(undefined, OTHER), isDetector).covered).toBe("no");
  });

  it("is unknown when the policy's selection criteria cannot be read", () => {
    expect(assessGroup(ecs, [], policyState("LogGroupNamePattern LIKE x"), isDetector).covered).toBe(
      "unknown",
    );
  });

  it("is unknown when the account policy could not be read", () => {
    const state: AccountPolicyState = { status: "unknown", reason: "AccessDeniedException: no" };

    expect(assessGroup(ecs, [], state, isDetector).covered).toBe("unknown");
    expect(assessGroup(ecs, [filter(DETECTOR)], state, isDetector).covered).toBe("yes");
  });

  it("is uncovered when the policy check was skipped and there is no filter", () => {
    expect(assessGroup(ecs, [], { status: "skipped" }, isDetector).covered).toBe("no");
  });

  describe("EKS control-plane groups", () => {
    const eks = { name: "/aws/eks/prod/cluster", kind: "eks" as const };
    const ENABLE_AUDIT =
      "aws eks update-cluster-config --name prod --logging " +
      '\'{"clusterLogging":[{"types":["audit"],"enabled":true}]}\'';

    it("is covered when subscribed and the audit streams exist", () => {
      const result = assessGroup(eks, [filter(DETECTOR)], NO_POLICY, isDetector, true);

      expect(result).toMatchObject({ covered: "yes", auditStreams: true, notes: [] });
    });

    it("subscribed without audit streams is blind to kubectl exec: its own status, with the fix", () => {
      const result = assessGroup(eks, [filter(DETECTOR)], NO_POLICY, isDetector, false);

      expect(result).toMatchObject({
        covered: "no-audit-logs",
        via: "subscription-filter",
        auditStreams: false,
      });
      expect(result.notes).toEqual([
        `subscribed, but no kube-apiserver-audit-* streams, so kubectl exec is invisible: enable the audit log type (${ENABLE_AUDIT})`,
      ]);
    });

    it("covered by the account policy without audit streams is blind too", () => {
      const result = assessGroup(eks, [], policyState(), isDetector, false);

      expect(result).toMatchObject({ covered: "no-audit-logs", via: "account-policy" });
    });

    it("unsubscribed stays uncovered, and says audit logging is off as well", () => {
      const result = assessGroup(eks, [], NO_POLICY, isDetector, false);

      expect(result).toMatchObject({ covered: "no", via: null });
      expect(result.notes).toEqual([
        `no kube-apiserver-audit-* streams, so kubectl exec is invisible: enable the audit log type (${ENABLE_AUDIT})`,
      ]);
    });
  });
});

describe("formatCoverageTable", () => {
  it("prints one row per group, the policy and the totals", () => {
    const isDetector = detectorMatcher();
    const groups = [
      assessGroup({ name: "/ecs/a", kind: "ecs" }, [filter(DETECTOR)], NO_POLICY, isDetector),
      assessGroup({ name: "/aws/eks/prod/cluster", kind: "eks" }, [], NO_POLICY, isDetector, true),
      assessGroup(
        { name: "/aws/eks/dev/cluster", kind: "eks" },
        [filter(DETECTOR)],
        NO_POLICY,
        isDetector,
        false,
      ),
    ];

    const text = formatCoverageTable({
      groups,
      accountPolicy: NO_POLICY,
      summary: { groups: 3, covered: 1, uncovered: 1, noAuditLogs: 1, unknown: 0 },
    });

    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^log group\s+kind\s+covered\s+via\s+audit\s+notes$/);
    expect(lines[2]).toMatch(/^\/ecs\/a\s+ecs\s+yes\s+subscription-filter\s+-$/);
    expect(lines[3]).toMatch(/^\/aws\/eks\/prod\/cluster\s+eks\s+no\s+-\s+yes$/);
    expect(lines[4]).toMatch(
      /^\/aws\/eks\/dev\/cluster\s+eks\s+no-audit-logs\s+subscription-filter\s+no\s+subscribed, but/,
    );
    expect(text).toContain("account-level subscription policy: none");
    expect(text).toContain("3 group(s): 1 covered, 1 uncovered, 1 without audit logs, 0 unknown");
  });
});

describe("runCoverage flags", () => {
  const io: CliIO = { stdout() {}, stderr() {}, env: {}, stderrIsTTY: false, now: () => 0 };

  it("rejects unknown flags and bad ARNs", async () => {
    await expect(runCoverage(["--bogus"], io)).rejects.toMatchObject({
      code: "ERR_PARSE_ARGS_UNKNOWN_OPTION",
    });
    await expect(runCoverage(["--detector-arn", "netutil"], io)).rejects.toThrow(/--detector-arn/);
  });

  it("checks every --detector-arn value, naming the bad one", async () => {
    const argv = ["--detector-arn", "stream/netutil-detector", "--detector-arn", DETECTOR];

    await expect(runCoverage(argv, io)).rejects.toThrow(/got "stream\/netutil-detector"/);
  });

  it("prints help, saying that the Kinesis path needs the stream ARN", async () => {
    const err: string[] = [];

    expect(await runCoverage(["--help"], { ...io, stderr: (t: string) => err.push(t) })).toBe(0);

    expect(err.join("")).toContain("Usage: node dist/cli.js coverage [--prefix P]");
    const help = err.join("").replace(/\s+/g, " ");
    expect(help).toContain("--detector-arn ARN the detector's destination ARN (repeatable");
    expect(help).toMatch(/delivery = "kinesis".*the stream's ARN/);
  });
});

describe("runCoverage interrupted", () => {
  it("stops at once on Ctrl-C while CloudWatch Logs does not answer, with status 130", async () => {
    const server = createServer(() => {
      // Never answers: a stuck endpoint.
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    vi.stubEnv("AWS_ENDPOINT_URL", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "testing");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing");
    const logs = createLogsClient({ region: "us-east-1", requestTimeoutMs: 2_000 });
    const interrupt = new AbortController();
    const err: string[] = [];
    const io: CliIO = { stdout() {}, stderr: (t) => err.push(t), env: {}, stderrIsTTY: false, now: Date.now };
    setTimeout(() => interrupt.abort(), 100);
    const started = Date.now();

    try {
      const code = await runCoverage(["--skip-account-policy"], io, { logs, interrupt: interrupt.signal });

      expect(code).toBe(130);
      expect(err.join("")).toBe("coverage interrupted\n");
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      server.closeAllConnections();
      server.close();
      vi.unstubAllEnvs();
    }
  });
});
