import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeSubscriptionFiltersCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from "@aws-sdk/client-lambda";
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LEDGER_KEY_ATTRIBUTE, LEDGER_TTL_ATTRIBUTE } from "../../src/signals/ledger.js";
import { MOTO_ACCOUNT, MOTO_REGION, type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import {
  buildLambdaZip,
  copyFromRepo,
  REPO,
  requireTool,
  run,
  tempDir,
  terraformAgainstMoto,
} from "./tools.js";

// terraform init + plan x3 + apply + in-place switch to Kinesis + destroy against moto_server.
const SLOW = 300_000;
/** Flags of every plan here: no prompt, and no state lock since these plans are never applied. */
const PLAN = ["plan", "-input=false", "-lock=false"];

/** Log groups that exist before the apply, as ECS and EKS would have created them. */
const NAMED = ["/ecs/payments-api", "/ecs/checkout-worker", "/aws/eks/prod-eu/cluster", "/security/falco"];
const BY_PREFIX = ["/ecs/batch/nightly", "/ecs/batch/hourly"];
const UNWATCHED = "/ecs-legacy/unrelated";
const SERVICES = [
  "cloudwatch",
  "dynamodb",
  "events",
  "iam",
  "kinesis",
  "kms",
  "lambda",
  "logs",
  "sns",
  "sqs",
  "sts",
];

interface Outputs {
  function_arn: string;
  alert_topic_arn: string;
  pager_topic_arn: string;
  dlq_url: string;
  kinesis_stream_arn: string | null;
  subscribed_log_groups: string[];
  lambda_permission_source_arns: string[];
  ledger_table_name: string | null;
}

interface PolicyStatement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: { Service?: string };
  Condition?: Record<string, Record<string, string | string[]>>;
}

// Every step shells out to terraform, which takes far longer on a loaded 2-core CI machine.
describe("Terraform module via examples/complete", { timeout: SLOW }, () => {
  let work: string;
  let exampleDir: string;
  let moto: Moto;
  let tfEnv: Record<string, string>;
  let outputs: Outputs;
  const clients = {} as {
    logs: CloudWatchLogsClient;
    lambda: LambdaClient;
    sns: SNSClient;
    sqs: SQSClient;
    iam: IAMClient;
  };

  /** Runs terraform in the example against moto; the caller judges the exit code. */
  async function tf(args: string[]) {
    return await run("terraform", [...args, "-no-color"], { cwd: exampleDir, env: tfEnv, timeoutMs: SLOW });
  }

  async function terraform(args: string[]) {
    const result = await tf(args);
    if (result.code !== 0)
      throw new Error(`terraform ${args[0]} failed:\n${result.stderr}\n${result.stdout}`);
    return result;
  }

  async function planJson(name: string, vars: string[]) {
    const planFile = join(work, `${name}.tfplan`);
    await terraform([...PLAN, `-out=${planFile}`, ...vars]);
    const shown = await terraform(["show", "-json", planFile]);
    return JSON.parse(shown.stdout) as {
      resource_changes: { address: string; change: { actions: string[]; after: Record<string, unknown> } }[];
    };
  }

  async function readOutputs(): Promise<Outputs> {
    const shown = await terraform(["output", "-json"]);
    const raw = JSON.parse(shown.stdout) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value])) as unknown as Outputs;
  }

  async function filtersOf(logGroupName: string) {
    const found = await clients.logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName }));
    return found.subscriptionFilters ?? [];
  }

  async function functionPolicy(): Promise<PolicyStatement[]> {
    try {
      const { Policy } = await clients.lambda.send(
        new GetPolicyCommand({ FunctionName: outputs.function_arn }),
      );
      return (JSON.parse(Policy ?? "{}") as { Statement?: PolicyStatement[] }).Statement ?? [];
    } catch (error) {
      if ((error as Error).name === "ResourceNotFoundException") return [];
      throw error;
    }
  }

  async function rolePolicy(roleName: string, policyName: string): Promise<PolicyStatement[]> {
    const found = await clients.iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
    );
    const document = JSON.parse(decodeURIComponent(found.PolicyDocument ?? "{}")) as {
      Statement: PolicyStatement[];
    };
    return document.Statement;
  }

  /**
   * Raw call to moto for services without an SDK client in the project (CloudWatch) or whose client
   * insists on HTTP/2 (Kinesis). moto routes on the credential scope and does not check signatures.
   */
  async function motoCall(service: string, request: { form?: string; target?: string; body?: string }) {
    const response = await fetch(moto.endpoint, {
      method: "POST",
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${MOTO_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
        ...(request.target
          ? { "content-type": "application/x-amz-json-1.1", "x-amz-target": request.target }
          : { "content-type": "application/x-www-form-urlencoded" }),
      },
      body: request.form ?? request.body ?? "",
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`moto ${service} answered ${response.status}: ${text.slice(0, 500)}`);
    return text;
  }

  const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());
  /** The environment variables of a planned aws_lambda_function. */
  const environmentOf = (fn: Record<string, unknown> | undefined) =>
    ((fn?.environment ?? []) as { variables: Record<string, string> }[])[0]?.variables;

  beforeAll(async () => {
    await requireTool("terraform", ["version"], "install Terraform >= 1.9 (CI: .ci/run installs it)");
    work = await tempDir("tf");
    await copyFromRepo(work, ["infra/terraform"]);
    exampleDir = join(work, "infra/terraform/examples/complete");
    const zip = await buildLambdaZip(work);
    moto = await startMoto();

    // Offline provider from the preinstalled mirror (where there is one), every service at moto.
    tfEnv = await terraformAgainstMoto(work, exampleDir, moto, SERVICES);
    await writeFile(
      join(exampleDir, "terraform.tfvars.json"),
      JSON.stringify({
        lambda_zip: zip,
        // hashicorp/aws 5.100 (the offline mirror) predates nodejs24.x; the module's default stays 24.
        lambda_runtime: "nodejs22.x",
        region: MOTO_REGION,
        ecs_log_group_names: ["/ecs/payments-api", "/ecs/checkout-worker"],
        ecs_log_group_prefixes: ["/ecs/batch/"],
        eks_cluster_names: ["prod-eu"],
        extra_log_group_names: ["/security/falco"],
        alert_emails: ["secops@example.com"],
        pager_https_endpoints: { oncall: "https://pager.example.com/integration/abc/enqueue" },
        // Sinks beyond SNS: the bus, Security Hub and PagerDuty through the bus.
        event_bus_name: "default",
        security_hub: true,
        pagerduty_routing_key: "R0UTINGKEYFORTESTS000000000000000",
      }),
    );

    const config = motoClientConfig(moto);
    clients.logs = new CloudWatchLogsClient(config);
    clients.lambda = new LambdaClient(config);
    clients.sns = new SNSClient(config);
    clients.sqs = new SQSClient(config);
    clients.iam = new IAMClient(config);
    for (const logGroupName of [...NAMED, ...BY_PREFIX, UNWATCHED]) {
      await clients.logs.send(new CreateLogGroupCommand({ logGroupName }));
    }
    await terraform(["init", "-input=false"]);
  }, SLOW);

  afterAll(async () => {
    for (const client of Object.values(clients)) client?.destroy();
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("is formatted (terraform fmt -check)", async () => {
    const result = await run(
      "terraform",
      ["fmt", "-check", "-recursive", "-diff", "-no-color", "infra/terraform"],
      {
        cwd: REPO,
      },
    );
    expect(result.stdout, "run terraform fmt -recursive infra/terraform").toBe("");
    expect(result.code).toBe(0);
  });

  test("validates", async () => {
    const result = await terraform(["validate", "-json"]);
    const report = JSON.parse(result.stdout) as { valid: boolean; warning_count: number };
    expect(report).toMatchObject({ valid: true, warning_count: 0 });
  });

  test("rejects bad inputs with the variable's message", async () => {
    const result = await tf([
      ...PLAN,
      "-var=delivery=firehose",
      '-var=ecs_log_group_prefixes=["/aws/lambda/"]',
    ]);
    expect(result.code).not.toBe(0);
    const message = result.stderr.replace(/\s+/g, " ");
    expect(message).toContain('delivery must be "lambda" or "kinesis"');
    expect(message).toContain("never /aws/lambda");
  });

  test("refuses an EKS cluster whose audit log group does not exist, saying how to enable it", async () => {
    const result = await tf([...PLAN, '-var=eks_cluster_names=["no-audit"]']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.replace(/\s+/g, " ")).toContain(
      "/aws/eks/no-audit/cluster does not exist: enable audit logging",
    );
  });

  // moto has no PutAccountPolicy, so the account-level policy is checked as a plan, not applied.
  test("plans the account-level policy (Kinesis delivery) excluding the function's own log group", async () => {
    const plan = await planJson("account", [
      "-var=delivery=kinesis",
      '-var=account_policy={ enabled = true, excluded_log_groups = ["/aws/lambda/other-forwarder"] }',
    ]);
    const byAddress = new Map(
      plan.resource_changes.map((c) => [c.address.replace(/^module\.netutil_detector\./, ""), c]),
    );
    const policy = byAddress.get("aws_cloudwatch_log_account_policy.subscription[0]");
    expect(policy?.change.after).toMatchObject({
      policy_type: "SUBSCRIPTION_FILTER_POLICY",
      scope: "ALL",
      selection_criteria:
        'LogGroupName NOT IN ["/aws/lambda/netutil-detector","/aws/lambda/other-forwarder"]',
    });
    // Per-group filters and Lambda permissions give way to the policy and the stream.
    expect(
      [...byAddress.keys()].filter((a) => a.startsWith("aws_cloudwatch_log_subscription_filter")),
    ).toEqual([]);
    expect([...byAddress.keys()].filter((a) => a.startsWith("aws_lambda_permission"))).toEqual([]);
    expect(byAddress.get("aws_lambda_event_source_mapping.kinesis[0]")?.change.after).toMatchObject({
      bisect_batch_on_function_error: true,
      function_response_types: ["ReportBatchItemFailures"],
      maximum_retry_attempts: 5,
      starting_position: "LATEST",
    });
    expect(byAddress.get("aws_kinesis_stream.this[0]")?.change.after).toMatchObject({
      stream_mode_details: [{ stream_mode: "ON_DEMAND" }],
      encryption_type: "KMS",
    });
  });

  test("plans the account-level policy (direct delivery) with one account-wide permission", async () => {
    const plan = await planJson("account-lambda", ["-var=account_policy={ enabled = true }"]);
    const permissions = plan.resource_changes.filter((c) => c.address.includes("aws_lambda_permission.logs"));
    expect(permissions.map((p) => p.change.after)).toEqual([
      expect.objectContaining({
        principal: "logs.amazonaws.com",
        source_account: MOTO_ACCOUNT,
        source_arn: `arn:aws:logs:${MOTO_REGION}:${MOTO_ACCOUNT}:log-group:*`,
      }),
    ]);
  });

  test("rejects half-given enterprise inputs with the variable's message", async () => {
    const result = await tf([
      ...PLAN,
      "-var=lambda_s3_bucket=releases",
      '-var=subnet_ids=["subnet-0a1b2c3d"]',
    ]);
    expect(result.code).not.toBe(0);
    const message = result.stderr.replace(/\s+/g, " ");
    expect(message).toContain("lambda_s3_bucket and lambda_s3_key go together");
    expect(message).toContain("subnet_ids and security_group_ids go together");
  });

  // Issue 15: one plan with every bring-your-own input at once (the release artifact from S3, a VPC,
  // a permissions boundary, an own key and own topics), on the Kinesis path so that its role counts too.
  test("plans with the artifact in S3, a VPC, a boundary, an own key and own topics: nothing of those created", async () => {
    const arn = (service: string, rest: string) =>
      `arn:aws:${service}:${MOTO_REGION}:${MOTO_ACCOUNT}:${rest}`;
    const given = {
      boundary: `arn:aws:iam::${MOTO_ACCOUNT}:policy/DeveloperBoundary`,
      key: arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"),
      alerts: arn("sns", "secops-alerts"),
      pager: arn("sns", "secops-pager"),
      email: arn("sns", "secops-email"),
      hash: "wdAZeijvtuBIdsHse7g6oBqpKpYg6r/dN8a6Ftjt80E=",
    };
    const plan = await planJson("enterprise", [
      "-var=delivery=kinesis",
      "-var=lambda_s3_bucket=releases-bucket",
      "-var=lambda_s3_key=netutil-detector/netutil-detector-0.1.0.zip",
      "-var=lambda_s3_object_version=3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH",
      `-var=lambda_source_code_hash=${given.hash}`,
      '-var=subnet_ids=["subnet-0a1b2c3d4e5f60718","subnet-0f1e2d3c4b5a69788"]',
      '-var=security_group_ids=["sg-0123456789abcdef0"]',
      `-var=permissions_boundary=${given.boundary}`,
      `-var=kms_key_arn=${given.key}`,
      `-var=alert_topic_arn=${given.alerts}`,
      `-var=pager_topic_arn=${given.pager}`,
      `-var=email_topic_arn=${given.email}`,
      "-var=email_digest_per_minute=25",
      "-var=log_retention_days=90",
      '-var=tags={ cost-center = "sec-42" }',
    ]);
    const changes = plan.resource_changes.map((c) => ({
      ...c,
      address: c.address.replace(/^module\.netutil_detector\./, ""),
    }));
    const planned = (address: string) => changes.find((c) => c.address === address)?.change.after;
    const of = (type: string) => changes.filter((c) => c.address.split(/[.[]/)[0] === type);

    for (const type of ["aws_kms_key", "aws_kms_alias", "aws_sns_topic", "aws_sns_topic_policy"]) {
      expect(
        of(type).map((c) => c.address),
        type,
      ).toEqual([]);
    }
    const fn = planned("aws_lambda_function.this");
    expect(fn).toMatchObject({
      s3_bucket: "releases-bucket",
      s3_key: "netutil-detector/netutil-detector-0.1.0.zip",
      s3_object_version: "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH",
      source_code_hash: given.hash,
      filename: null,
      vpc_config: [
        {
          subnet_ids: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
          security_group_ids: ["sg-0123456789abcdef0"],
        },
      ],
    });
    expect(environmentOf(fn)).toMatchObject({
      SNS_TOPIC_ARN: given.alerts,
      PAGER_TOPIC_ARN: given.pager,
      EMAIL_TOPIC_ARN: given.email,
      EMAIL_DIGEST_PER_MINUTE: "25",
    });
    // Every role the module creates: the function's, CloudWatch Logs' to Kinesis, EventBridge's to PagerDuty.
    const roles = of("aws_iam_role");
    expect(roles.map((r) => r.address).sort()).toEqual([
      "aws_iam_role.function",
      "aws_iam_role.logs_to_kinesis[0]",
      "aws_iam_role.pagerduty[0]",
    ]);
    for (const role of roles)
      expect(role.change.after.permissions_boundary, role.address).toBe(given.boundary);
    const vpc = JSON.parse(String(planned("aws_iam_role_policy.vpc[0]")?.policy)) as {
      Statement: PolicyStatement[];
    };
    expect(list(vpc.Statement[0]?.Action)).toEqual(
      expect.arrayContaining(["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"]),
    );
    expect(planned("aws_sqs_queue.dlq")?.kms_master_key_id).toBe(given.key);
    expect(planned("aws_dynamodb_table.ledger[0]")?.server_side_encryption).toEqual([
      { enabled: true, kms_key_arn: given.key },
    ]);
    expect(planned("aws_cloudwatch_log_group.function")?.retention_in_days).toBe(90);
    expect(planned('aws_sns_topic_subscription.email["secops@example.com"]')?.topic_arn).toBe(given.alerts);
    for (const alarm of of("aws_cloudwatch_metric_alarm")) {
      expect(alarm.change.after.alarm_actions, alarm.address).toEqual([given.alerts]);
    }
    // Tags on everything that takes them: the module's, the caller's and the component tag.
    const tagged = changes.filter((c) => "tags" in c.change.after);
    expect(tagged.length).toBeGreaterThanOrEqual(10);
    for (const c of tagged) {
      expect(c.change.after.tags, c.address).toMatchObject({
        owner: "platform-security",
        "cost-center": "sec-42",
        "netutil-detector:component": "netutil-detector",
      });
    }
    expect(tagged.map((c) => c.address)).toEqual(
      expect.arrayContaining(["aws_lambda_event_source_mapping.kinesis[0]", "aws_kinesis_stream.this[0]"]),
    );
  });

  test("plans a created email topic: encrypted with the module's key, TLS-only, its subscriber", async () => {
    const plan = await planJson("email", ['-var=email_topic_subscribers=["digest@example.com"]']);
    const planned = (address: string) =>
      plan.resource_changes.find((c) => c.address === `module.netutil_detector.${address}`)?.change.after;
    expect(planned("aws_sns_topic.email[0]")).toMatchObject({
      name: "netutil-detector-email",
      display_name: "netutil-detector email",
    });
    expect(planned("aws_sns_topic_policy.email[0]")).toBeDefined();
    expect(planned('aws_sns_topic_subscription.email_topic["digest@example.com"]')).toMatchObject({
      protocol: "email",
      endpoint: "digest@example.com",
    });
    // The created key encrypts it (its ARN is known only after the apply).
    const unknown = plan.resource_changes.find(
      (c) => c.address === "module.netutil_detector.aws_sns_topic.email[0]",
    )?.change as { after_unknown?: Record<string, unknown> } | undefined;
    expect(unknown?.after_unknown?.kms_master_key_id).toBe(true);
    // Its ARN, and so the function's environment, is known only after the apply.
    const fnChange = plan.resource_changes.find(
      (c) => c.address === "module.netutil_detector.aws_lambda_function.this",
    )?.change as { after_unknown?: Record<string, unknown> } | undefined;
    expect(fnChange?.after_unknown?.environment).toBeTruthy();
    const fn = planned("aws_lambda_function.this");
    expect(fn?.vpc_config).toEqual([]);
    expect(planned("aws_iam_role_policy.vpc[0]")).toBeUndefined();
  });

  test(
    "applies against moto: every named and prefixed group subscribed to the function, nothing else",
    async () => {
      await terraform(["apply", "-input=false", "-auto-approve"]);
      outputs = await readOutputs();

      const expected = [...NAMED, ...BY_PREFIX].sort();
      expect(outputs.subscribed_log_groups).toEqual(expected);
      for (const group of expected) {
        const filters = await filtersOf(group);
        expect(filters, group).toHaveLength(1);
        expect(filters[0]).toMatchObject({
          filterName: "netutil-detector",
          destinationArn: outputs.function_arn,
        });
      }
      expect(await filtersOf(UNWATCHED)).toEqual([]);
      expect(await filtersOf("/aws/lambda/netutil-detector")).toEqual([]);
    },
    SLOW,
  );

  test("wires the sinks: PutEvents and BatchImportFindings granted, PagerDuty rules per severity on the bus", async () => {
    const { Environment } = await clients.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: outputs.function_arn }),
    );
    expect(Environment?.Variables).toMatchObject({
      EVENT_BUS_NAME: "default",
      SECURITY_HUB: "true",
      CHAT_TOPIC_ARN: "",
    });
    const sinks = await rolePolicy("netutil-detector", "netutil-detector-sinks");
    expect(sinks.map((st) => [st.Sid, st.Action, st.Resource])).toEqual([
      [
        "PutSignalEvents",
        "events:PutEvents",
        `arn:aws:events:${MOTO_REGION}:${MOTO_ACCOUNT}:event-bus/default`,
      ],
      [
        "ImportFindings",
        "securityhub:BatchImportFindings",
        `arn:aws:securityhub:${MOTO_REGION}:${MOTO_ACCOUNT}:product/${MOTO_ACCOUNT}/default`,
      ],
    ]);
    const rules = JSON.parse(
      await motoCall("events", {
        target: "AWSEvents.ListRules",
        body: JSON.stringify({ NamePrefix: "netutil-detector-pagerduty" }),
      }),
    ) as { Rules: { Name: string; EventPattern: string }[] };
    expect(rules.Rules.map((r) => r.Name).sort()).toEqual([
      "netutil-detector-pagerduty-critical",
      "netutil-detector-pagerduty-high",
    ]);
    const high = rules.Rules.find((r) => r.Name.endsWith("-high"));
    expect(JSON.parse(high?.EventPattern ?? "{}")).toEqual({
      source: ["netutil-detector"],
      "detail-type": ["Network utility executed in container"],
      detail: { severity: ["high"] },
    });
    const targets = JSON.parse(
      await motoCall("events", {
        target: "AWSEvents.ListTargetsByRule",
        body: JSON.stringify({ Rule: "netutil-detector-pagerduty-high" }),
      }),
    ) as { Targets: { Arn: string; InputTransformer?: { InputTemplate: string } }[] };
    expect(targets.Targets).toHaveLength(1);
    expect(targets.Targets[0]?.Arn).toContain(":api-destination/netutil-detector-pagerduty");
    expect(targets.Targets[0]?.InputTransformer?.InputTemplate).toContain('"severity": "error"');
  });

  test("grants CloudWatch Logs one invoke statement per prefix, not per group", async () => {
    const statements = await functionPolicy();
    const logs = statements.filter((s) => s.Principal?.Service === "logs.amazonaws.com");
    const arn = (p: string) => `arn:aws:logs:${MOTO_REGION}:${MOTO_ACCOUNT}:log-group:${p}`;
    // "/ecs/batch/*" is covered by "/ecs/*" and gets no statement of its own.
    expect(logs.map((s) => s.Condition?.ArnLike?.["AWS:SourceArn"]).sort()).toEqual(
      [arn("/aws/eks/*"), arn("/ecs/*"), arn("/security/*")].sort(),
    );
    for (const statement of logs) {
      expect(statement.Action).toBe("lambda:InvokeFunction");
      expect(statement.Condition?.StringEquals?.["AWS:SourceAccount"]).toBe(MOTO_ACCOUNT);
    }
    expect(statements).toHaveLength(logs.length);
  });

  test("runs handler.handler on arm64 with the whole configuration in its environment", async () => {
    const config = await clients.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: "netutil-detector" }),
    );
    expect(config).toMatchObject({
      Handler: "handler.handler",
      Architectures: ["arm64"],
      Runtime: "nodejs22.x",
    });
    expect(config.Environment?.Variables).toEqual({
      SNS_TOPIC_ARN: outputs.alert_topic_arn,
      PAGER_TOPIC_ARN: outputs.pager_topic_arn,
      MIN_SEVERITY: "medium",
      PAGER_MIN_SEVERITY: "high",
      ALLOWLIST: "[]",
      DEDUP_TTL_SECONDS: "3600",
      MAX_DECODED_BYTES: "33554432",
      POWERTOOLS_SERVICE_NAME: "netutil-detector",
      NODE_OPTIONS: "--max-semi-space-size=2",
      POWERTOOLS_METRICS_NAMESPACE: "NetutilDetector",
      LOG_LEVEL: "INFO",
      DEDUP_WINDOW_SECONDS: "3600",
      PAGER_MAX_PER_WINDOW: "5",
      LEDGER_TABLE: "netutil-detector-ledger",
      CHANNEL_FAMILIES: "dev-tcp,openssl,tunnel",
      TRUSTED_SOURCES: "any",
      EVENT_BUS_NAME: "default",
      EVENTBRIDGE_MIN_SEVERITY: "medium",
      SECURITY_HUB: "true",
      SECURITY_HUB_MIN_SEVERITY: "medium",
      CHAT_TOPIC_ARN: "",
      CHAT_MIN_SEVERITY: "high",
      // Issue 15: no email topic in this example, and the digest threshold's default.
      EMAIL_TOPIC_ARN: "",
      EMAIL_DIGEST_PER_MINUTE: "10",
    });
  });

  test("creates the signal ledger: on-demand, TTL on, the module's key, PITR off, a policy scoped to it", async () => {
    expect(outputs.ledger_table_name).toBe("netutil-detector-ledger");
    const dynamodb = new DynamoDBClient(motoClientConfig(moto));
    try {
      const TableName = "netutil-detector-ledger";
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName }));
      expect(Table).toMatchObject({
        KeySchema: [{ AttributeName: LEDGER_KEY_ATTRIBUTE, KeyType: "HASH" }],
        BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" },
        SSEDescription: { Status: "ENABLED", SSEType: "KMS" },
      });
      expect(Table?.SSEDescription?.KMSMasterKeyArn).toMatch(/^arn:aws:kms:/);
      const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName }));
      expect(ttl.TimeToLiveDescription).toMatchObject({
        AttributeName: LEDGER_TTL_ATTRIBUTE,
        TimeToLiveStatus: "ENABLED",
      });
      const backups = await dynamodb.send(new DescribeContinuousBackupsCommand({ TableName }));
      expect(
        backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus,
      ).toBe("DISABLED");
      const statements = await rolePolicy("netutil-detector", "netutil-detector-ledger");
      const write = statements.find((s) => s.Sid === "WriteOwnLedger");
      expect(list(write?.Action).sort()).toEqual([
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
      ]);
      expect(list(write?.Resource)).toEqual([Table?.TableArn]);
      const key = statements.find((s) => s.Sid === "UseKeyOnlyThroughDynamoDb");
      expect(list(key?.Resource)).toEqual([Table?.SSEDescription?.KMSMasterKeyArn]);
      expect(key?.Condition?.StringEquals?.["kms:ViaService"]).toBe(`dynamodb.${MOTO_REGION}.amazonaws.com`);
      expect(statements).toHaveLength(2);
    } finally {
      dynamodb.destroy();
    }
  });

  test("creates encrypted topics with the email and pager subscriptions", async () => {
    for (const [topic, protocol, endpoint] of [
      [outputs.alert_topic_arn, "email", "secops@example.com"],
      [outputs.pager_topic_arn, "https", "https://pager.example.com/integration/abc/enqueue"],
    ] as const) {
      const { Attributes } = await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topic }));
      expect(Attributes?.KmsMasterKeyId, topic).toMatch(/^arn:aws:kms:/);
      const { Subscriptions } = await clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topic }),
      );
      expect(Subscriptions?.map((s) => [s.Protocol, s.Endpoint])).toEqual([[protocol, endpoint]]);
    }
  });

  test("wires the DLQ: two async retries, then the encrypted queue", async () => {
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: outputs.dlq_url,
        AttributeNames: ["QueueArn", "KmsMasterKeyId"],
      }),
    );
    expect(Attributes?.KmsMasterKeyId).toMatch(/^arn:aws:kms:/);
    const invoke = await clients.lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: "netutil-detector" }),
    );
    expect(invoke.MaximumRetryAttempts).toBe(2);
    expect(invoke.DestinationConfig?.OnFailure?.Destination).toBe(Attributes?.QueueArn);
  });

  test("gives the function role only its own log group, topics, DLQ and key", async () => {
    const statements = await rolePolicy("netutil-detector", "netutil-detector");
    const actions = statements.flatMap((s) => list(s.Action)).sort();
    expect(actions).toEqual(
      [
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sns:Publish",
        "sqs:SendMessage",
      ].sort(),
    );
    for (const statement of statements) {
      expect(list(statement.Resource).every((r) => r.startsWith("arn:aws:") && r !== "*")).toBe(true);
    }
    const publish = statements.find((s) => list(s.Action).includes("sns:Publish"));
    expect(list(publish?.Resource).sort()).toEqual([outputs.alert_topic_arn, outputs.pager_topic_arn].sort());
  });

  test("alarms on errors, throttles and DLQ depth publish to the alert topic", async () => {
    const xml = await motoCall("monitoring", {
      form: "Action=DescribeAlarms&Version=2010-08-01&AlarmNamePrefix=netutil-detector-",
    });
    const names = [...xml.matchAll(/<AlarmName>([^<]+)<\/AlarmName>/g)].map((m) => m[1]).sort();
    expect(names).toEqual([
      "netutil-detector-dlq-not-empty",
      "netutil-detector-errors",
      "netutil-detector-throttles",
    ]);
    const actions = [...xml.matchAll(/<AlarmActions>\s*<member>([^<]+)<\/member>/g)].map((m) => m[1]);
    expect(actions).toEqual([outputs.alert_topic_arn, outputs.alert_topic_arn, outputs.alert_topic_arn]);
  });

  test(
    "switches in place to delivery = kinesis: filters to the stream, partial-batch mapping, no invoke grants",
    async () => {
      await terraform(["apply", "-input=false", "-auto-approve", "-var=delivery=kinesis"]);
      outputs = await readOutputs();
      const stream = outputs.kinesis_stream_arn;
      expect(stream).toMatch(/^arn:aws:kinesis:.*:stream\/netutil-detector$/);

      const summary = await motoCall("kinesis", {
        target: "Kinesis_20131202.DescribeStreamSummary",
        body: JSON.stringify({ StreamARN: stream }),
      });
      expect(JSON.parse(summary)).toMatchObject({
        StreamDescriptionSummary: { StreamModeDetails: { StreamMode: "ON_DEMAND" }, EncryptionType: "KMS" },
      });

      const roleArn = `arn:aws:iam::${MOTO_ACCOUNT}:role/netutil-detector-logs-to-kinesis`;
      for (const group of outputs.subscribed_log_groups) {
        const filters = await filtersOf(group);
        expect(filters, group).toHaveLength(1);
        expect(filters[0]).toMatchObject({ destinationArn: stream, roleArn });
      }

      const { Role } = await clients.iam.send(
        new GetRoleCommand({ RoleName: "netutil-detector-logs-to-kinesis" }),
      );
      const trust = JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? "{}")) as {
        Statement: PolicyStatement[];
      };
      expect(trust.Statement[0]?.Principal?.Service).toBe("logs.amazonaws.com");
      expect(trust.Statement[0]?.Condition?.StringLike?.["aws:SourceArn"]).toBe(
        `arn:aws:logs:${MOTO_REGION}:${MOTO_ACCOUNT}:*`,
      );
      const put = await rolePolicy("netutil-detector-logs-to-kinesis", "put-records");
      expect(put.map((s) => [list(s.Action).sort(), list(s.Resource)])).toEqual([
        [["kinesis:PutRecord", "kinesis:PutRecords"], [stream]],
      ]);

      // moto ignores the FunctionName filter of ListEventSourceMappings: filter here.
      const { EventSourceMappings } = await clients.lambda.send(new ListEventSourceMappingsCommand({}));
      const mapping = EventSourceMappings?.find((m) => m.EventSourceArn === stream);
      const { Attributes } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: outputs.dlq_url, AttributeNames: ["QueueArn"] }),
      );
      expect(mapping).toMatchObject({
        FunctionArn: outputs.function_arn,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
        DestinationConfig: { OnFailure: { Destination: Attributes?.QueueArn } },
      });

      const read = (await rolePolicy("netutil-detector", "netutil-detector")).find(
        (s) => s.Sid === "ReadOwnStream",
      );
      expect(list(read?.Resource)).toEqual([stream]);
      expect(list(read?.Action)).toContain("kinesis:GetRecords");
      expect((await functionPolicy()).filter((s) => s.Principal?.Service === "logs.amazonaws.com")).toEqual(
        [],
      );
    },
    SLOW,
  );

  test(
    "destroys everything it created",
    async () => {
      await terraform(["destroy", "-input=false", "-auto-approve", "-var=delivery=kinesis"]);
      await expect(
        clients.lambda.send(new GetFunctionCommand({ FunctionName: "netutil-detector" })),
      ).rejects.toThrow();
      for (const group of [...NAMED, ...BY_PREFIX]) expect(await filtersOf(group), group).toEqual([]);
      const state = await readFile(join(exampleDir, "terraform.tfstate"), "utf8");
      expect((JSON.parse(state) as { resources: unknown[] }).resources).toEqual([]);
    },
    SLOW,
  );
});
