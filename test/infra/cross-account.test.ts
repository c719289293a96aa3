import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeDestinationsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MOTO_ACCOUNT, MOTO_REGION, type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import { buildLambdaZip, copyFromRepo, requireTool, run, tempDir, terraformAgainstMoto } from "./tools.js";

// init + apply + three plans + destroy of examples/cross-account against moto_server.
const SLOW = 300_000;
const PLAN = ["plan", "-input=false", "-lock=false"];
const SERVICES = ["cloudwatch", "dynamodb", "iam", "kinesis", "kms", "lambda", "logs", "sns", "sqs", "sts"];
const ORG = "o-a1b2c3d4e5";
const MEMBER_GROUPS = ["/ecs/member-payments", "/aws/eks/member-prod/cluster"];

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Principal?: { AWS?: string | string[]; Service?: string };
  Condition?: Record<string, Record<string, string | string[]>>;
}

interface Change {
  address: string;
  change: { actions: string[]; after: Record<string, unknown> };
}

// moto has no PutAccountPolicy and cannot subscribe a log group to a destination, so the member
// account's side is planned against the applied detector side; the destination itself is applied.
describe("Terraform examples/cross-account: member accounts -> Logs destination -> Kinesis", {
  timeout: SLOW,
}, () => {
  let work: string;
  let dir: string;
  let moto: Moto;
  let env: Record<string, string>;
  let logs: CloudWatchLogsClient;
  let outputs: Record<string, unknown>;

  async function terraform(args: string[]) {
    const result = await run("terraform", [...args, "-no-color"], { cwd: dir, env, timeoutMs: SLOW });
    if (result.code !== 0)
      throw new Error(`terraform ${args[0]} failed:\n${result.stderr}\n${result.stdout}`);
    return result;
  }

  async function plan(name: string, vars: string[]): Promise<Map<string, Change>> {
    const file = join(work, `${name}.tfplan`);
    await terraform([...PLAN, `-out=${file}`, ...vars]);
    const shown = JSON.parse((await terraform(["show", "-json", file])).stdout) as {
      resource_changes: Change[];
    };
    return new Map(shown.resource_changes.map((c) => [c.address, c]));
  }

  const policyOf = (json: unknown) => (JSON.parse(String(json)) as { Statement: Statement[] }).Statement;

  beforeAll(async () => {
    await requireTool("terraform", ["version"], "install Terraform >= 1.9 (CI: .ci/run installs it)");
    work = await tempDir("tf-xa");
    await copyFromRepo(work, ["infra/terraform"]);
    dir = join(work, "infra/terraform/examples/cross-account");
    const zip = await buildLambdaZip(work);
    moto = await startMoto();
    env = await terraformAgainstMoto(work, dir, moto, SERVICES, ["source"]);
    await writeFile(
      join(dir, "terraform.tfvars.json"),
      JSON.stringify({
        lambda_zip: zip,
        // hashicorp/aws 5.100 (the offline mirror) predates nodejs24.x.
        lambda_runtime: "nodejs22.x",
        region: MOTO_REGION,
        organization_id: ORG,
      }),
    );
    logs = new CloudWatchLogsClient(motoClientConfig(moto));
    for (const logGroupName of MEMBER_GROUPS) await logs.send(new CreateLogGroupCommand({ logGroupName }));
    await terraform(["init", "-input=false"]);
  }, SLOW);

  afterAll(async () => {
    logs?.destroy();
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("validates", async () => {
    const report = JSON.parse((await terraform(["validate", "-json"])).stdout) as {
      valid: boolean;
      warning_count: number;
    };
    expect(report).toMatchObject({ valid: true, warning_count: 0 });
  });

  test("refuses both an organization and an account list", async () => {
    const result = await run(
      "terraform",
      [...PLAN, "-no-color", '-var=source_account_ids=["210987654321"]'],
      { cwd: dir, env, timeoutMs: SLOW },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr.replace(/\s+/g, " ")).toContain("Give either organization_id or source_account_ids");
  });

  test(
    "applies the detector side: a destination into the module's stream, open to the organization only",
    async () => {
      await terraform(["apply", "-input=false", "-auto-approve"]);
      const raw = JSON.parse((await terraform(["output", "-json"])).stdout) as Record<
        string,
        { value: unknown }
      >;
      outputs = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value]));
      expect(outputs.kinesis_stream_arn).toBe(
        `arn:aws:kinesis:${MOTO_REGION}:${MOTO_ACCOUNT}:stream/netutil-detector`,
      );

      const { destinations } = await logs.send(
        new DescribeDestinationsCommand({ DestinationNamePrefix: "netutil-detector" }),
      );
      expect(destinations).toHaveLength(1);
      const destination = destinations?.[0];
      expect(destination).toMatchObject({
        destinationName: "netutil-detector-destination",
        arn: outputs.destination_arn,
        targetArn: outputs.kinesis_stream_arn,
        roleArn: outputs.destination_role_arn,
      });
      expect(policyOf(destination?.accessPolicy)).toEqual([
        {
          Sid: "OrganizationSubscribes",
          Effect: "Allow",
          Action: ["logs:PutSubscriptionFilter", "logs:PutAccountPolicy"],
          Resource: outputs.destination_arn,
          Principal: { AWS: "*" },
          Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } },
        },
      ]);
    },
    SLOW,
  );

  test("its role may only put records into that stream, assumed by CloudWatch Logs for the organization", async () => {
    const state = JSON.parse(await readFile(join(dir, "terraform.tfstate"), "utf8")) as {
      resources: {
        type: string;
        name: string;
        module?: string;
        instances: { attributes: Record<string, unknown> }[];
      }[];
    };
    const attributes = (type: string, name: string) =>
      state.resources.find((r) => r.type === type && r.name === name && !r.module)?.instances[0]?.attributes;
    const trust = policyOf(attributes("aws_iam_role", "destination")?.assume_role_policy)[0];
    expect(trust?.Principal).toEqual({ Service: "logs.amazonaws.com" });
    expect(trust?.Condition).toEqual({
      StringLike: { "aws:SourceArn": `arn:aws:logs:${MOTO_REGION}:*:*` },
      StringEquals: { "aws:SourceOrgID": ORG },
    });
    const put = policyOf(attributes("aws_iam_role_policy", "destination")?.policy);
    expect(put.map((s) => [s.Action, s.Resource])).toEqual([
      [["kinesis:PutRecord", "kinesis:PutRecords"], outputs.kinesis_stream_arn],
    ]);
  });

  test("plans the member account's filters: one per group, to the destination, without a role", async () => {
    const changes = await plan("members", [`-var=source_log_group_names=${JSON.stringify(MEMBER_GROUPS)}`]);
    const filters = [...changes.values()].filter((c) =>
      c.address.startsWith("aws_cloudwatch_log_subscription_filter.source"),
    );
    expect(filters.map((f) => f.change.after.log_group_name).sort()).toEqual([...MEMBER_GROUPS].sort());
    for (const filter of filters) {
      expect(filter.change.actions).toEqual(["create"]);
      expect(filter.change.after).toMatchObject({
        name: "netutil-detector",
        destination_arn: outputs.destination_arn,
        filter_pattern: "",
      });
      expect(filter.change.after.role_arn ?? null).toBeNull();
    }
    // A new member replaces or removes nothing on the detector side.
    expect(
      [...changes.values()].filter((c) => c.change.actions.includes("delete")).map((c) => c.address),
    ).toEqual([]);
  });

  test("plans the listed-accounts variant: the destination policy names them, the role's trust too", async () => {
    const members = ["210987654321", "345678901234"];
    // A -var cannot set null (it would be the string "null"): a var file can.
    const varFile = join(work, "accounts.tfvars.json");
    await writeFile(varFile, JSON.stringify({ organization_id: null, source_account_ids: members }));
    const changes = await plan("accounts", [`-var-file=${varFile}`]);
    const access = policyOf(
      changes.get("aws_cloudwatch_log_destination_policy.this")?.change.after.access_policy,
    );
    expect(access).toEqual([
      expect.objectContaining({
        Sid: "ListedAccountsSubscribe",
        Principal: { AWS: expect.arrayContaining(members) },
      }),
    ]);
    expect(access[0]?.Condition).toBeUndefined();
    const trust = policyOf(changes.get("aws_iam_role.destination")?.change.after.assume_role_policy)[0];
    expect(trust?.Condition).toEqual({
      StringLike: {
        "aws:SourceArn": expect.arrayContaining(
          [MOTO_ACCOUNT, ...members].map((a) => `arn:aws:logs:${MOTO_REGION}:${a}:*`),
        ),
      },
    });
  });

  test("plans the member account-level policy instead of filters (moto cannot apply it)", async () => {
    const changes = await plan("member-policy", [
      "-var=source_account_policy=true",
      '-var=source_excluded_log_groups=["/aws/lambda/other-forwarder"]',
      `-var=source_log_group_names=${JSON.stringify(MEMBER_GROUPS)}`,
    ]);
    expect(changes.get("aws_cloudwatch_log_account_policy.source[0]")?.change.after).toMatchObject({
      policy_type: "SUBSCRIPTION_FILTER_POLICY",
      scope: "ALL",
      selection_criteria: 'LogGroupName NOT IN ["/aws/lambda/other-forwarder"]',
      policy_document: JSON.stringify({ DestinationArn: outputs.destination_arn, FilterPattern: "" }),
    });
    expect([...changes.keys()].filter((a) => a.startsWith("aws_cloudwatch_log_subscription_filter"))).toEqual(
      [],
    );
  });

  test(
    "destroys everything it created",
    async () => {
      await terraform(["destroy", "-input=false", "-auto-approve"]);
      const { destinations } = await logs.send(new DescribeDestinationsCommand({}));
      expect(destinations ?? []).toEqual([]);
      const state = JSON.parse(await readFile(join(dir, "terraform.tfstate"), "utf8")) as {
        resources: unknown[];
      };
      expect(state.resources).toEqual([]);
    },
    SLOW,
  );
});
