// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings, where ${AWS::Region} is literal.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildLambdaZip, copyFromRepo, REPO, requireTool, run, tempDir } from "./tools.js";

const SLOW = 180_000;

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }>;
}

/** cfn-lint exits 0 only without errors, warnings or informational findings. */
async function cfnLint(file: string) {
  return await run("cfn-lint", ["--format", "parseable", "--", file], { timeoutMs: SLOW });
}

describe("SAM template", { timeout: SLOW }, () => {
  beforeAll(async () => {
    await requireTool("cfn-lint", ["--version"], "pip install cfn-lint (it brings aws-sam-translator)");
  }, SLOW);

  test(
    "passes cfn-lint after Fn::ForEach and the SAM transform are expanded",
    async () => {
      const result = await cfnLint("infra/sam/template.yaml");
      expect(result.stdout + result.stderr).toBe("");
      expect(result.code).toBe(0);
    },
    SLOW,
  );

  test(
    "is really checked: a broken event inside the ForEach loop fails the lint",
    async () => {
      const dir = await tempDir("sam");
      try {
        const template = await readFile(join(REPO, "infra/sam/template.yaml"), "utf8");
        const broken = template.replace("Type: CloudWatchLogs\n", "Type: CloudWatchLog\n");
        expect(broken).not.toBe(template);
        const file = join(dir, "template.yaml");
        await writeFile(file, broken);
        const result = await cfnLint(file);
        expect(result.code).not.toBe(0);
        expect(result.stdout).toContain("CloudWatchLog");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    SLOW,
  );
});

describe("serverless.yml (Serverless Framework v3, offline)", { timeout: SLOW }, () => {
  let work: string;
  let template: Template;
  let output: string;

  beforeAll(async () => {
    await requireTool("cfn-lint", ["--version"], "pip install cfn-lint");
    work = await tempDir("sls");
    await copyFromRepo(work, ["serverless.yml", "infra/serverless"]);
    await mkdir(join(work, "dist"), { recursive: true });
    await buildLambdaZip(join(work, "dist"));
    const serverless = join(REPO, "node_modules/.bin/serverless");
    const result = await run(
      serverless,
      [
        "package",
        "--stage",
        "test",
        "--param=logGroups=/ecs/payments-api, /ecs/checkout-worker,/aws/eks/prod-eu/cluster",
        "--param=alertEmails=secops@example.com,oncall@example.com",
        "--param=pagerEndpoints=https://pager.example.com/integration/abc/enqueue",
        "--param=eventBusName=security-bus",
        "--param=securityHub=true",
        "--param=chatTopicArn=arn:aws:sns:us-east-1:123456789012:chat",
      ],
      {
        cwd: work,
        timeoutMs: SLOW,
        // Offline: no telemetry, update notices or dashboard; fake credentials never leave the machine.
        env: {
          HOME: work,
          SLS_TELEMETRY_DISABLED: "1",
          SLS_NOTIFICATIONS_MODE: "off",
          SLS_DEPRECATION_DISABLE: "*",
          SLS_INTERACTIVE_SETUP_DISABLE: "1",
          AWS_ACCESS_KEY_ID: "testing",
          AWS_SECRET_ACCESS_KEY: "testing",
          AWS_REGION: "us-east-1",
          AWS_PROFILE: undefined,
        },
      },
    );
    output = result.stdout + result.stderr;
    if (result.code !== 0) throw new Error(`serverless package failed:\n${output}`);
    template = JSON.parse(
      await readFile(join(work, ".serverless/cloudformation-template-update-stack.json"), "utf8"),
    ) as Template;
  }, SLOW);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("packages with no configuration warning but the runtime v3 does not know yet", () => {
    const warnings = [...output.matchAll(/at '([^']+)'/g)].map((m) => m[1]);
    expect(warnings).toEqual(["provider.runtime"]);
  });

  test(
    "passes cfn-lint on the generated template",
    async () => {
      const result = await cfnLint(join(work, ".serverless/cloudformation-template-update-stack.json"));
      expect(result.stdout + result.stderr).toBe("");
      expect(result.code).toBe(0);
    },
    SLOW,
  );

  test("deploys the prebuilt artifact as handler.handler on nodejs24.x arm64", () => {
    const fn = template.Resources.DetectorLambdaFunction?.Properties;
    expect(fn).toMatchObject({ Handler: "handler.handler", Runtime: "nodejs24.x", Architectures: ["arm64"] });
    expect((fn?.Code as { S3Key?: string } | undefined)?.S3Key).toMatch(/\/lambda\.zip$/);
  });

  test("subscribes each configured log group to the function", () => {
    const filters = Object.values(template.Resources).filter(
      (r) => r.Type === "AWS::Logs::SubscriptionFilter",
    );
    expect(filters.map((f) => f.Properties?.LogGroupName).sort()).toEqual(
      ["/aws/eks/prod-eu/cluster", "/ecs/checkout-worker", "/ecs/payments-api"].sort(),
    );
    for (const filter of filters) {
      expect(filter.Properties?.DestinationArn).toEqual({ "Fn::GetAtt": ["DetectorLambdaFunction", "Arn"] });
    }
    const permissions = Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Permission");
    expect(permissions).toHaveLength(1);
  });

  test("retries asynchronous invocations twice, then sends them to the DLQ", () => {
    expect(template.Resources.DetectorLambdaEvConf?.Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] } } },
    });
  });

  test("subscribes every email and pager endpoint given as params", () => {
    const subscriptions = Object.values(template.Resources)
      .filter((r) => r.Type === "AWS::SNS::Subscription")
      .map((r) => r.Properties);
    expect(subscriptions).toEqual(
      expect.arrayContaining([
        { TopicArn: { Ref: "AlertTopic" }, Protocol: "email", Endpoint: "secops@example.com" },
        { TopicArn: { Ref: "AlertTopic" }, Protocol: "email", Endpoint: "oncall@example.com" },
        {
          TopicArn: { Ref: "PagerTopic" },
          Protocol: "https",
          Endpoint: "https://pager.example.com/integration/abc/enqueue",
        },
      ]),
    );
    expect(subscriptions).toHaveLength(3);
  });

  test("creates the signal ledger, names it to the function, and grants only its item writes", () => {
    expect(template.Resources.LedgerTable?.Type).toBe("AWS::DynamoDB::Table");
    const fn = template.Resources.DetectorLambdaFunction?.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(fn.Environment.Variables.LEDGER_TABLE).toEqual({ Ref: "LedgerTable" });
    const role = template.Resources.IamRoleLambdaExecution?.Properties as {
      Policies: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[];
    };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith("dynamodb:")));
    expect(dynamo.map((s) => [[s.Action].flat().sort(), s.Resource])).toEqual([
      [
        ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        { "Fn::GetAtt": ["LedgerTable", "Arn"] },
      ],
    ]);
  });

  test("lets the function publish to its two topics and nothing else on SNS", () => {
    const role = template.Resources.IamRoleLambdaExecution?.Properties as {
      Policies: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[];
    };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith("sns:"))).toEqual(["sns:Publish"]);
    expect(actions).toContain("sqs:SendMessage");
    expect(actions.some((a) => a.endsWith(":*"))).toBe(false);
    const publish = statements.find((s) => [s.Action].flat().includes("sns:Publish"));
    expect(publish?.Resource).toEqual([{ Ref: "AlertTopic" }, { Ref: "PagerTopic" }]);
  });

  test("wires the email digest: no email topic unless asked, the default threshold of 10", () => {
    const fn = template.Resources.DetectorLambdaFunction?.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(fn.Environment.Variables).toMatchObject({ EMAIL_TOPIC_ARN: "", EMAIL_DIGEST_PER_MINUTE: "10" });
    expect(template.Resources.EmailTopic).toBeUndefined();
    expect(template.Resources.DetectorEmailPolicy).toBeUndefined();
  });

  test("config.cjs emailTopic: an existing topic gets only the publish right, subscribers get a TLS-only encrypted topic", async () => {
    const { emailTopic, emailTopicArn } = (await import(join(REPO, "infra/serverless/config.cjs"))) as Record<
      "emailTopic" | "emailTopicArn",
      (ctx: { resolveVariable(name: string): Promise<unknown> }) => Promise<unknown>
    >;
    const ctx = (params: Record<string, string>) => ({
      resolveVariable: async (name: string) =>
        ({ "self:service": "netutil-detector", "sls:stage": "prod", ...params })[name] ?? "",
    });
    const existing = "arn:aws:sns:eu-west-1:123456789012:secops-email";
    expect(await emailTopic(ctx({}))).toEqual({});
    expect(await emailTopicArn(ctx({}))).toBe("");
    const own = (await emailTopic(ctx({ "param:emailTopicArn": existing }))) as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    expect(Object.keys(own)).toEqual(["DetectorEmailPolicy"]);
    expect(own.DetectorEmailPolicy?.Properties.PolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [{ Sid: "PublishEmailDigests", Effect: "Allow", Action: "sns:Publish", Resource: existing }],
    });
    expect(await emailTopicArn(ctx({ "param:emailTopicArn": existing }))).toBe(existing);

    const created = (await emailTopic(
      ctx({ "param:emailTopicSubscribers": "a@example.com, b@example.com" }),
    )) as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    expect(created.EmailTopic?.Properties).toEqual({
      TopicName: "netutil-detector-prod-email",
      DisplayName: "netutil-detector email",
      KmsMasterKeyId: { "Fn::GetAtt": ["NotificationKey", "Arn"] },
    });
    expect(JSON.stringify(created.EmailTopicPolicy?.Properties)).toContain('"aws:SecureTransport":"false"');
    expect(
      Object.values(created)
        .filter((r) => r.Type === "AWS::SNS::Subscription")
        .map((r) => r.Properties.Endpoint),
    ).toEqual(["a@example.com", "b@example.com"]);
    expect(await emailTopicArn(ctx({ "param:emailTopicSubscribers": "a@example.com" }))).toEqual({
      Ref: "EmailTopic",
    });
    await expect(emailTopic(ctx({ "param:emailTopicArn": "secops-email" }))).rejects.toThrow(
      'param "emailTopicArn" must be an SNS topic ARN',
    );
  });

  test("grants each configured sink its one action, on its own resource, in a policy on the function's role", () => {
    const policy = template.Resources.DetectorSinksPolicy?.Properties as {
      Roles: unknown[];
      PolicyDocument: { Statement: { Action: string; Resource: unknown }[] };
    };
    expect(policy.Roles).toEqual([{ Ref: "IamRoleLambdaExecution" }]);
    expect(policy.PolicyDocument.Statement.map((s) => [s.Action, s.Resource])).toEqual([
      [
        "events:PutEvents",
        { "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/security-bus" },
      ],
      [
        "securityhub:BatchImportFindings",
        {
          "Fn::Sub":
            "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default",
        },
      ],
      ["sns:Publish", "arn:aws:sns:us-east-1:123456789012:chat"],
    ]);
  });
});
