import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutSubscriptionFilterCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCoverage } from "../../src/cli/coverage.js";
import type { CoverageReport } from "../../src/cli/coverage-assess.js";
import type { CliIO } from "../../src/cli/io.js";
import { type Moto, motoClientConfig, startMoto } from "../support/moto.js";

/** An empty but well-formed zip: moto stores the code, it never runs it here. */
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);

function captureIO(): CliIO & { out: string[]; err: string } {
  const io = {
    out: [] as string[],
    err: "",
    stdout(line: string) {
      io.out.push(line);
    },
    stderr(text: string) {
      io.err += text;
    },
    env: {},
    stderrIsTTY: false,
    now: () => Date.now(),
  };
  return io;
}

describe("coverage against moto_server", () => {
  let moto: Moto;
  let logs: CloudWatchLogsClient;
  let detectorArn: string;
  let shipperArn: string;

  async function createFunction(name: string): Promise<string> {
    const iam = new IAMClient(motoClientConfig(moto));
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: `${name}-role`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    const lambda = new LambdaClient(motoClientConfig(moto));
    const fn = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: "nodejs20.x",
        Role: role.Role!.Arn!,
        Handler: "handler.handler",
        Code: { ZipFile: EMPTY_ZIP },
      }),
    );
    return fn.FunctionArn!;
  }

  /** An on-demand stream and the role CloudWatch Logs assumes to write to it, as delivery = "kinesis" builds. */
  async function createStream(name: string): Promise<{ streamArn: string; roleArn: string }> {
    // The Kinesis client defaults to HTTP/2, which moto_server does not speak: borrow an HTTP/1.1 handler.
    const kinesis = new KinesisClient({
      ...motoClientConfig(moto),
      requestHandler: logs.config.requestHandler,
    });
    await kinesis.send(
      new CreateStreamCommand({ StreamName: name, StreamModeDetails: { StreamMode: "ON_DEMAND" } }),
    );
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    const iam = new IAMClient(motoClientConfig(moto));
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: `${name}-logs`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "logs.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    return { streamArn: summary.StreamDescriptionSummary!.StreamARN!, roleArn: role.Role!.Arn! };
  }

  async function group(name: string, streams: string[] = [], destinations: string[] = [], pattern = "") {
    await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
    for (const logStreamName of streams) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName }));
    }
    for (const [i, destinationArn] of destinations.entries()) {
      await logs.send(
        new PutSubscriptionFilterCommand({
          logGroupName: name,
          filterName: `filter-${i}`,
          filterPattern: pattern,
          destinationArn,
        }),
      );
    }
  }

  async function run(argv: string[]) {
    const io = captureIO();
    const code = await runCoverage(argv, io, { logs });
    return { code, io };
  }

  function report(io: { out: string[] }): CoverageReport {
    expect(io.out).toHaveLength(1);
    return JSON.parse(io.out[0] ?? "") as CoverageReport;
  }

  beforeAll(async () => {
    moto = await startMoto();
    logs = new CloudWatchLogsClient(motoClientConfig(moto));
  });

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(async () => {
    await fetch(`${moto.endpoint}/moto-api/reset`, { method: "POST" });
    detectorArn = await createFunction("prod-netutil-detector");
    shipperArn = await createFunction("log-shipper");
  });

  async function seedMixedAccount() {
    await group("/ecs/payments", ["ecs/api/1"], [detectorArn]);
    await group("/ecs/orders", ["ecs/worker/1"]);
    await group("/aws/ecs/checkout", [], [detectorArn], "?curl ?wget");
    await group("/aws/ecs/containerinsights/prod/performance", ["perf"]);
    await group("/aws/eks/prod/cluster", ["kube-apiserver-audit-5f1c", "authenticator-9d2e"], [detectorArn]);
    await group("/aws/eks/dev/cluster", ["authenticator-1a2b"]);
    await group("firelens/web", ["web-firelens-1"], [shipperArn]);
    await group("/aws/lambda/unrelated", ["2024/06/01/[$LATEST]abc"]);
  }

  it("reports every container group, with filters, EKS audit streams and the exit status", async () => {
    await seedMixedAccount();

    const { code, io } = await run(["--json", "--skip-account-policy", "--prefix", "firelens/"]);

    expect(code).toBe(1);
    const r = report(io);
    const byName = Object.fromEntries(r.groups.map((g) => [g.logGroup, g]));
    expect(Object.keys(byName)).toEqual([
      "/aws/ecs/checkout",
      "/aws/eks/dev/cluster",
      "/aws/eks/prod/cluster",
      "/ecs/orders",
      "/ecs/payments",
      "firelens/web",
    ]);
    expect(byName["/ecs/payments"]).toMatchObject({
      kind: "ecs",
      covered: "yes",
      via: "subscription-filter",
    });
    expect(byName["/ecs/orders"]).toMatchObject({ covered: "no", via: null });
    expect(byName["/aws/ecs/checkout"]?.covered).toBe("yes");
    expect(byName["/aws/ecs/checkout"]?.notes[0]).toContain("?curl ?wget");
    expect(byName["/aws/eks/prod/cluster"]).toMatchObject({
      kind: "eks",
      covered: "yes",
      auditStreams: true,
    });
    expect(byName["/aws/eks/dev/cluster"]).toMatchObject({ kind: "eks", covered: "no", auditStreams: false });
    expect(byName["firelens/web"]).toMatchObject({ kind: "custom", covered: "no" });
    expect(byName["firelens/web"]?.filters).toEqual([
      { name: "filter-0", destinationArn: shipperArn, filterPattern: "" },
    ]);
    expect(r.summary).toEqual({ groups: 6, covered: 3, uncovered: 3, noAuditLogs: 0, unknown: 0 });
    expect(r.accountPolicy).toEqual({ status: "skipped" });
  });

  it("marks groups without a filter unknown when the account policy cannot be read (moto lacks the API)", async () => {
    await seedMixedAccount();

    const { code, io } = await run(["--json"]);

    expect(code).toBe(1);
    const r = report(io);
    expect(r.accountPolicy).toEqual({
      status: "unknown",
      reason: expect.stringMatching(/^DescribeAccountPolicies got HTTP \d+ that is not the API's JSON/),
    });
    expect(r.groups.find((g) => g.logGroup === "/ecs/orders")?.covered).toBe("unknown");
    expect(r.groups.find((g) => g.logGroup === "/ecs/payments")?.covered).toBe("yes");
    expect(r.summary).toMatchObject({ covered: 3, uncovered: 0, unknown: 2 });
  });

  it("honours --detector-arn", async () => {
    await seedMixedAccount();

    const { io } = await run([
      "--json",
      "--skip-account-policy",
      "--prefix",
      "firelens/",
      "--detector-arn",
      shipperArn,
    ]);

    const r = report(io);
    expect(r.groups.filter((g) => g.covered === "yes").map((g) => g.logGroup)).toEqual(["firelens/web"]);
  });

  it("runs the README example: Fluent Bit log groups checked, Container Insights metrics groups left out", async () => {
    await group("/aws/containerinsights/prod/application", ["fluent-bit-1"], [detectorArn]);
    await group("/aws/containerinsights/prod/dataplane", ["kubelet-1"], [detectorArn]);
    await group("/aws/containerinsights/prod/performance", ["ip-10-0-1-5"]);
    await group("/aws/containerinsights/prod/prometheus", ["kubernetes-service-endpoints"]);
    await group("/aws/ecs/containerinsights/prod/performance", ["AgentTelemetry-0d7650e6"]);

    const { code, io } = await run([
      "--json",
      "--skip-account-policy",
      "--prefix",
      "/aws/containerinsights/",
      "--detector-arn",
      detectorArn,
    ]);

    expect(code).toBe(0);
    expect(report(io).groups.map((g) => [g.logGroup, g.kind, g.covered])).toEqual([
      ["/aws/containerinsights/prod/application", "custom", "yes"],
      ["/aws/containerinsights/prod/dataplane", "custom", "yes"],
    ]);
  });

  it("with delivery through Kinesis, counts the groups writing to the stream given with --detector-arn", async () => {
    const { streamArn, roleArn } = await createStream("sec-logs");
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/ecs/payments" }));
    await logs.send(
      new PutSubscriptionFilterCommand({
        logGroupName: "/ecs/payments",
        filterName: "to-stream",
        filterPattern: "",
        destinationArn: streamArn,
        roleArn,
      }),
    );
    await group("/ecs/orders", [], [detectorArn]);

    const { code, io } = await run([
      "--json",
      "--skip-account-policy",
      "--detector-arn",
      detectorArn,
      "--detector-arn",
      streamArn,
    ]);

    expect(code).toBe(0);
    expect(report(io).groups.map((g) => [g.logGroup, g.covered, g.filters[0]?.destinationArn])).toEqual([
      ["/ecs/orders", "yes", detectorArn],
      ["/ecs/payments", "yes", streamArn],
    ]);
  });

  it("exits 0 and prints a table when every group is covered", async () => {
    await group("/ecs/payments", ["ecs/api/1"], [detectorArn]);
    await group("/aws/eks/prod/cluster", ["kube-apiserver-audit-5f1c"], [detectorArn]);

    const { code, io } = await run([]);

    expect(code).toBe(0);
    const text = io.out.join("\n");
    expect(text).toMatch(/\/aws\/eks\/prod\/cluster\s+eks\s+yes\s+subscription-filter\s+yes/);
    expect(text).toMatch(/\/ecs\/payments\s+ecs\s+yes\s+subscription-filter\s+-/);
    expect(text).toContain("account-level subscription policy: unknown, could not be read");
    expect(text).toContain("2 group(s): 2 covered, 0 uncovered, 0 without audit logs, 0 unknown");
  });

  it("exits 1 for an EKS group that is subscribed but has no audit streams", async () => {
    await group("/ecs/payments", ["ecs/api/1"], [detectorArn]);
    await group("/aws/eks/prod/cluster", ["authenticator-9d2e", "kube-apiserver-5f1c"], [detectorArn]);

    const { code, io } = await run(["--json", "--skip-account-policy"]);

    expect(code).toBe(1);
    const r = report(io);
    expect(r.groups.find((g) => g.logGroup === "/aws/eks/prod/cluster")).toMatchObject({
      covered: "no-audit-logs",
      via: "subscription-filter",
      auditStreams: false,
    });
    expect(r.summary).toEqual({ groups: 2, covered: 1, uncovered: 0, noAuditLogs: 1, unknown: 0 });
  });

  it("reports an account without container log groups", async () => {
    const { code, io } = await run(["--skip-account-policy"]);

    expect(code).toBe(0);
    expect(io.out[0]).toBe("no container log groups found");
  });
});
