import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
// @ts-expect-error: a plain ESM script without types, shared with the bench
import { LAMBDA_NODE_OPTIONS } from "../../scripts/runtime.mjs";
import { ENV, ENV_DEFAULTS } from "../../src/config.js";
import { LEDGER_KEY_ATTRIBUTE, LEDGER_TTL_ATTRIBUTE } from "../../src/signals/ledger.js";
import { decodeTemplates, REPO } from "./tools.js";

/**
 * Read by Powertools or by Node itself, not by src/config.ts; every deployment sets them to the same
 * values. NODE_OPTIONS is the runtime tuning scripts/runtime.mjs explains (and the bench measures).
 */
const POWERTOOLS = {
  POWERTOOLS_SERVICE_NAME: "netutil-detector",
  POWERTOOLS_METRICS_NAMESPACE: "NetutilDetector",
  LOG_LEVEL: "INFO",
  NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
} as const;

/** Set by the Lambda runtime itself; a deployment that set it would be rejected. */
const RUNTIME_PROVIDED = new Set<string>([ENV.region]);

/**
 * Variables a deployment may leave out on purpose, and why. Anything else the code reads must be set,
 * so a default changed in src/config.ts never silently changes a deployed function.
 */
const DELIBERATELY_DEFAULTED: Record<Deployment, Record<string, string>> = {
  terraform: { PAGER_TOPIC_ARN: "only set when the module creates a pager topic; absent means no pager" },
  serverless: {},
  sam: {},
};

type Deployment = "terraform" | "serverless" | "sam";

const REQUIRED = [
  ...new Set([...Object.values(ENV), ...Object.keys(ENV_DEFAULTS), ...Object.keys(POWERTOOLS)]),
].filter((name) => !RUNTIME_PROVIDED.has(name));

interface Deployed {
  handler: string;
  runtime: string;
  architectures: string[];
  environment: Record<string, unknown>;
  /** Absolute path of the code the deployment ships. */
  artifact: string;
  /** The value each config variable gets when the user changes nothing. */
  defaults: Record<string, string>;
}

/** The HCL block `name = merge({ ... }, ...)` or `name { ... }`, by brace matching. */
function hclBlock(source: string, opening: string): string {
  const start = source.indexOf(opening);
  if (start < 0) throw new Error(`"${opening}" not found`);
  let depth = 0;
  for (let i = source.indexOf("{", start); i < source.length; i++) {
    if (source[i] === "{") depth++;
    if (source[i] === "}" && --depth === 0) return source.slice(start, i + 1);
  }
  throw new Error(`unbalanced block after "${opening}"`);
}

function hclDefault(variables: string, name: string): string {
  const block = hclBlock(variables, `variable "${name}" {`);
  const match = /\n\s*default\s*=\s*("([^"]*)"|[0-9]+|\[\])/.exec(block);
  if (!match) throw new Error(`variable ${name} has no default`);
  return match[2] ?? match[1] ?? "";
}

async function terraform(): Promise<Deployed> {
  const dir = join(REPO, "infra/terraform/modules/netutil-detector");
  const lambda = await readFile(join(dir, "lambda.tf"), "utf8");
  const variables = await readFile(join(dir, "variables.tf"), "utf8");
  const example = await readFile(join(REPO, "infra/terraform/examples/complete/main.tf"), "utf8");
  const environment = Object.fromEntries(
    [
      ...hclBlock(lambda, "environment_variables = merge(").matchAll(/\b([A-Z][A-Z0-9_]+)\s*=\s*([^\n,}]+)/g),
    ].map((m) => [m[1], m[2]?.trim()]),
  );
  const fn = hclBlock(lambda, 'resource "aws_lambda_function" "this" {');
  const zip = /coalesce\(var\.lambda_zip, "\$\{path\.module\}\/([^"]+)"\)/.exec(example)?.[1] ?? "";
  return {
    handler: /\n\s*handler\s*=\s*"([^"]+)"/.exec(fn)?.[1] ?? "",
    runtime: hclDefault(variables, "runtime"),
    architectures: JSON.parse(/\n\s*architectures\s*=\s*(\[[^\]]*\])/.exec(fn)?.[1] ?? "[]") as string[],
    environment,
    artifact: resolve(REPO, "infra/terraform/examples/complete", zip),
    defaults: {
      ...Object.fromEntries(
        Object.entries(environment).flatMap(([k, v]) =>
          /^"[^"]*"$/.test(String(v)) ? [[k, JSON.parse(String(v))]] : [],
        ),
      ),
      MIN_SEVERITY: hclDefault(variables, "min_severity"),
      PAGER_MIN_SEVERITY: hclDefault(variables, "pager_min_severity"),
      ALLOWLIST: hclDefault(variables, "allowlist"),
      DEDUP_TTL_SECONDS: hclDefault(variables, "dedup_ttl_seconds"),
      MAX_DECODED_BYTES: hclDefault(variables, "max_decoded_bytes"),
      LOG_LEVEL: hclDefault(variables, "log_level"),
      DEDUP_WINDOW_SECONDS: hclDefault(variables, "dedup_window_seconds"),
      PAGER_MAX_PER_WINDOW: hclDefault(variables, "pager_max_per_window"),
      CHANNEL_FAMILIES: hclDefault(variables, "channel_families"),
      TRUSTED_SOURCES: hclDefault(variables, "trusted_sources"),
      EVENTBRIDGE_MIN_SEVERITY: hclDefault(variables, "eventbridge_min_severity"),
      SECURITY_HUB_MIN_SEVERITY: hclDefault(variables, "security_hub_min_severity"),
      CHAT_MIN_SEVERITY: hclDefault(variables, "chat_min_severity"),
      EMAIL_DIGEST_PER_MINUTE: hclDefault(variables, "email_digest_per_minute"),
    },
  };
}

type Node = Record<string, unknown>;

function serverless(config: Node): Deployed {
  const provider = config.provider as Node;
  const fn = (config.functions as Record<string, Node>).detector as Node;
  const params = (config.params as { default: Record<string, string> }).default;
  const environment = provider.environment as Record<string, unknown>;
  const paramOf = (value: unknown) => /^\$\{param:(\w+)\}$/.exec(String(value))?.[1];
  const defaults = Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      const param = paramOf(value);
      return [name, param ? String(params[param]) : String(value)];
    }),
  );
  return {
    handler: String(fn.handler),
    runtime: String(provider.runtime),
    architectures: [String(provider.architecture)],
    environment,
    artifact: resolve(REPO, String((config.package as Node).artifact)),
    defaults,
  };
}

function sam(template: Node): Deployed {
  const resources = template.Resources as Record<string, { Properties: Node }>;
  const parameters = template.Parameters as Record<string, { Default?: unknown }>;
  const fn = resources.Detector?.Properties as Node;
  const environment = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
  const defaults = Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      const ref = (value as { Ref?: string }).Ref;
      return [name, ref ? String(parameters[ref]?.Default) : String(value)];
    }),
  );
  return {
    handler: String(fn.Handler),
    runtime: String(fn.Runtime),
    architectures: fn.Architectures as string[],
    environment,
    artifact: resolve(REPO, "infra/sam", String(fn.CodeUri)),
    defaults,
  };
}

describe("Terraform, serverless.yml and SAM deploy the same function", { timeout: 60_000 }, () => {
  const deployed = {} as Record<Deployment, Deployed>;

  beforeAll(async () => {
    const decoded = await decodeTemplates([
      join(REPO, "serverless.yml"),
      join(REPO, "infra/sam/template.yaml"),
    ]);
    deployed.terraform = await terraform();
    deployed.serverless = serverless(decoded[join(REPO, "serverless.yml")] as Node);
    deployed.sam = sam(decoded[join(REPO, "infra/sam/template.yaml")] as Node);
  }, 60_000);

  test.each(["terraform", "serverless", "sam"] as const)("%s sets every variable the code reads", (name) => {
    const set = Object.keys(deployed[name].environment);
    const missing = REQUIRED.filter((v) => !set.includes(v) && !(v in DELIBERATELY_DEFAULTED[name]));
    expect(missing, `${name} leaves these unset`).toEqual([]);
    expect(
      set.filter((v) => !REQUIRED.includes(v)),
      `${name} sets variables nothing reads`,
    ).toEqual([]);
    expect(set.filter((v) => RUNTIME_PROVIDED.has(v))).toEqual([]);
  });

  test("the deliberately defaulted variables are optional in src/config.ts", () => {
    const optional = new Set([ENV.pagerTopicArn, ...Object.keys(ENV_DEFAULTS)]);
    for (const skipped of Object.values(DELIBERATELY_DEFAULTED).flatMap((d) => Object.keys(d))) {
      expect(optional.has(skipped), skipped).toBe(true);
    }
  });

  test.each(["terraform", "serverless", "sam"] as const)("%s defaults agree with src/config.ts", (name) => {
    const defaults = deployed[name].defaults;
    for (const [variable, value] of Object.entries(ENV_DEFAULTS)) {
      expect(defaults[variable], `${name} ${variable}`).toBe(value);
    }
    for (const [variable, value] of Object.entries(POWERTOOLS)) {
      expect(defaults[variable], `${name} ${variable}`).toBe(value);
    }
  });

  test.each(["terraform", "serverless", "sam"] as const)(
    "%s sends email digests above 10 signals a minute, to no email topic unless one is configured",
    (name) => {
      expect(deployed[name].defaults.EMAIL_DIGEST_PER_MINUTE).toBe("10");
      expect(deployed[name].environment).toHaveProperty("EMAIL_TOPIC_ARN");
    },
  );

  test.each(["terraform", "serverless", "sam"] as const)(
    "%s runs the built entry handler.handler on nodejs24.x arm64",
    (name) => {
      expect(deployed[name]).toMatchObject({
        handler: "handler.handler",
        runtime: "nodejs24.x",
        architectures: ["arm64"],
      });
    },
  );

  test("all three ship what `npm run build` writes to dist/ (zipped by npm run package)", async () => {
    expect(deployed.terraform.artifact).toBe(join(REPO, "dist/lambda.zip"));
    expect(deployed.serverless.artifact).toBe(join(REPO, "dist/lambda.zip"));
    // Issue 15: SAM too takes the zip (byte for byte the release's netutil-detector-<version>.zip).
    expect(deployed.sam.artifact).toBe(join(REPO, "dist/lambda.zip"));
    const packager = await readFile(join(REPO, "scripts/package.mjs"), "utf8");
    expect(packager).toContain('const REQUIRED = ["handler.js", "package.json"];');
    expect(packager).toContain('const ARTIFACT_NAME = "netutil-detector";');
  });

  test("handler.handler names dist/handler.js and its export, when the build has run", async () => {
    let bundle: string;
    try {
      bundle = await readFile(join(REPO, "dist/handler.js"), "utf8");
    } catch {
      // npm test builds first; this only runs the file-level check when dist/ exists.
      expect(deployed.sam.handler.split(".")).toEqual(["handler", "handler"]);
      return;
    }
    expect(bundle).toMatch(
      /export\s*\{[^}]*\bas handler\b[^}]*\}|export\s+(async\s+)?(function|const)\s+handler\b/,
    );
    const manifest = JSON.parse(await readFile(join(REPO, "dist/package.json"), "utf8")) as { type?: string };
    expect(manifest.type).toBe("module");
  });
});

/** What a deployment says about the signal ledger's table and the function's rights on it. */
interface LedgerTable {
  key: string;
  billing: string;
  ttl: string;
  /** The key that encrypts it: the deployment's own notification key. */
  kmsKey: string;
  pointInTimeRecoveryByDefault: string;
  /** DynamoDB actions the function is granted, and on what. */
  actions: string[];
  resources: string[];
  /** KMS statement for DynamoDB: actions, and the service it is restricted to. */
  kmsViaService: string;
}

function cfnTable(table: Node, statements: Node[], pitrDefault: string, kmsKeyName: string): LedgerTable {
  const props = table.Properties as Node;
  const key = (props.KeySchema as { AttributeName: string }[])[0]?.AttributeName ?? "";
  const sse = props.SSESpecification as Node;
  const dynamo = statements.filter((s) => [s.Action].flat().some((a) => String(a).startsWith("dynamodb:")));
  const kms = statements.find((s) => [s.Action].flat().includes("kms:Encrypt"));
  const via = ((kms?.Condition as Node)?.StringEquals as Node)?.["kms:ViaService"];
  const getAtt = (value: unknown) => JSON.stringify(value);
  return {
    key,
    billing: String(props.BillingMode),
    ttl: String((props.TimeToLiveSpecification as Node).AttributeName),
    kmsKey:
      getAtt(sse.KMSMasterKeyId) === getAtt({ "Fn::GetAtt": [kmsKeyName, "Arn"] }) && sse.SSEType === "KMS"
        ? "own"
        : "other",
    pointInTimeRecoveryByDefault: pitrDefault,
    actions: dynamo.flatMap((s) => [s.Action].flat().map(String)).sort(),
    resources: dynamo.map((s) => getAtt(s.Resource)),
    kmsViaService: JSON.stringify(via),
  };
}

describe("the signal ledger's table is the same in all three deployments", { timeout: 60_000 }, () => {
  const tables = {} as Record<Deployment, LedgerTable>;

  beforeAll(async () => {
    const sls = join(REPO, "serverless.yml");
    const samFile = join(REPO, "infra/sam/template.yaml");
    const decoded = await decodeTemplates([sls, samFile]);
    const slsConfig = decoded[sls] as Node;
    const slsResources = ((slsConfig.resources as Node[])[1] as Node).Resources as Record<string, Node>;
    const slsStatements = (((slsConfig.provider as Node).iam as Node).role as Node).statements as Node[];
    tables.serverless = cfnTable(
      slsResources.LedgerTable as Node,
      slsStatements,
      String((slsConfig.params as { default: Record<string, unknown> }).default.ledgerPointInTimeRecovery),
      "NotificationKey",
    );
    const template = decoded[samFile] as Node;
    const resources = template.Resources as Record<string, Node>;
    const policies = ((resources.DetectorRole as Node).Properties as Node).Policies as Node[];
    const ledgerPolicy = policies
      .map((p) => (p["Fn::If"] as unknown[] | undefined)?.[1] as Node | undefined)
      .find((p) => p?.PolicyName === "netutil-detector-ledger");
    tables.sam = cfnTable(
      resources.LedgerTable as Node,
      (((ledgerPolicy?.PolicyDocument ?? {}) as Node).Statement as Node[]) ?? [],
      String((template.Parameters as Record<string, Node>).LedgerPointInTimeRecovery?.Default),
      "NotificationKey",
    );
    const dir = join(REPO, "infra/terraform/modules/netutil-detector");
    const ledger = await readFile(join(dir, "ledger.tf"), "utf8");
    const variables = await readFile(join(dir, "variables.tf"), "utf8");
    const table = hclBlock(ledger, 'resource "aws_dynamodb_table" "ledger" {');
    const write = hclBlock(ledger, 'sid       = "WriteOwnLedger"');
    const key = hclBlock(ledger, 'sid       = "UseKeyOnlyThroughDynamoDb"');
    const strings = (text: string) => [...text.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? "");
    tables.terraform = {
      key: /hash_key\s*=\s*"([^"]+)"/.exec(table)?.[1] ?? "",
      billing: /billing_mode\s*=\s*"([^"]+)"/.exec(table)?.[1] ?? "",
      ttl: /attribute_name\s*=\s*"([^"]+)"/.exec(hclBlock(table, "ttl {"))?.[1] ?? "",
      // local.kms_key_arn: the module's key, or the one given as kms_key_arn (it then encrypts everything).
      kmsKey: /kms_key_arn\s*=\s*(aws_kms_key\.this\.arn|local\.kms_key_arn)\b/.test(table) ? "own" : "other",
      pointInTimeRecoveryByDefault:
        /\n\s*default\s*=\s*(true|false)/.exec(
          hclBlock(variables, 'variable "ledger_point_in_time_recovery" {'),
        )?.[1] ?? "",
      actions: strings(/actions\s*=\s*\[([^\]]*)\]/.exec(write)?.[1] ?? "").sort(),
      resources: [/resources\s*=\s*\[(.*)\]\s*$/m.exec(write)?.[1]?.trim() ?? ""],
      kmsViaService: JSON.stringify(strings(/values\s*=\s*\[([^\]]*)\]/.exec(key)?.[1] ?? "")),
    };
  }, 60_000);

  test.each(["terraform", "serverless", "sam"] as const)(
    "%s: on-demand, keyed and expired as the code expects, encrypted with its own key, PITR off by default",
    (name) => {
      expect(tables[name]).toMatchObject({
        key: LEDGER_KEY_ATTRIBUTE,
        billing: "PAY_PER_REQUEST",
        ttl: LEDGER_TTL_ATTRIBUTE,
        kmsKey: "own",
      });
      expect(["false", "False"]).toContain(tables[name].pointInTimeRecoveryByDefault);
    },
  );

  test.each(["terraform", "serverless", "sam"] as const)(
    "%s: the function may only put, update and delete items of that one table, and use the key only through DynamoDB",
    (name) => {
      const { actions, resources, kmsViaService } = tables[name];
      expect(actions).toEqual(["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
      expect(resources).toHaveLength(1);
      expect(resources[0]).toMatch(/LedgerTable|aws_dynamodb_table\.ledger\[0\]\.arn/);
      expect(kmsViaService).toMatch(/dynamodb\.\$\{(AWS::Region|local\.region)\}\.amazonaws\.com/);
    },
  );
});

/** What the three deployments' resource policies say, in one shape. */
interface PolicyFacts {
  /** Every KMS key policy statement granting an AWS service: its services and condition keys. */
  kmsServiceGrants: { services: string[]; conditions: string[] }[];
  /** Topics ("alerts", "pager", "email") whose policy denies sns:Publish when aws:SecureTransport is false. */
  tlsOnlyTopics: string[];
}

/** Every `statement { … }` block of an HCL policy document. */
function hclStatements(document: string): string[] {
  const out: string[] = [];
  for (let at = document.indexOf("statement {"); at >= 0; at = document.indexOf("statement {", at + 1)) {
    out.push(hclBlock(document.slice(at), "statement {"));
  }
  return out;
}

const denysPlainPublish = (text: string) =>
  /effect\s*=\s*"Deny"/.test(text) &&
  text.includes('"sns:Publish"') &&
  /aws:SecureTransport"\s*\n\s*values\s*=\s*\["false"\]/.test(text);

async function terraformPolicies(): Promise<PolicyFacts> {
  const dir = join(REPO, "infra/terraform/modules/netutil-detector");
  const names = (await readdir(dir)).filter((f) => f.endsWith(".tf"));
  const source = (await Promise.all(names.map((f) => readFile(join(dir, f), "utf8")))).join("\n");
  const kmsGrants = hclStatements(hclBlock(source, 'data "aws_iam_policy_document" "kms" {'))
    .filter((s) => /type\s*=\s*"Service"/.test(s))
    .map((s) => ({
      services: [...(/identifiers\s*=\s*\[([^\]]*)\]/.exec(s)?.[1] ?? "").matchAll(/"([^"]+)"/g)].map(
        (m) => m[1]!,
      ),
      conditions: [...s.matchAll(/variable\s*=\s*"([^"]+)"/g)].map((m) => m[1]!),
    }));
  const tlsOnlyTopics: string[] = [];
  for (const m of source.matchAll(/resource "aws_sns_topic_policy" "(\w+)" \{/g)) {
    const resource = hclBlock(source.slice(m.index), m[0]);
    const topic = /arn\s*=\s*aws_sns_topic\.(\w+)/.exec(resource)?.[1];
    const doc = /data\.aws_iam_policy_document\.(\w+)/.exec(resource)?.[1];
    if (!topic || !doc) continue;
    const document = hclBlock(source, `data "aws_iam_policy_document" "${doc}" {`);
    if (hclStatements(document).some(denysPlainPublish)) tlsOnlyTopics.push(topic);
  }
  return { kmsServiceGrants: kmsGrants, tlsOnlyTopics: tlsOnlyTopics.sort() };
}

type Statement = {
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  Condition?: Record<string, object>;
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The resources of a SAM template, or of serverless.yml's `resources` list (its `${file()}` parts skipped). */
function resourcesOf(template: Node): { Type?: string; Properties?: Record<string, unknown> }[] {
  const parts = template.Resources ? [template] : list(template.resources);
  return parts.flatMap((part) => {
    const resources = (part as Node).Resources;
    return resources && typeof resources === "object" ? Object.values(resources as Node) : [];
  }) as { Type?: string; Properties?: Record<string, unknown> }[];
}

function cloudFormationPolicies(template: Node): PolicyFacts {
  const resources = resourcesOf(template);
  const kmsServiceGrants = resources
    .filter((r) => r.Type === "AWS::KMS::Key")
    .flatMap((r) => (r.Properties?.KeyPolicy as { Statement?: Statement[] } | undefined)?.Statement ?? [])
    .filter((s) => isServicePrincipal(s.Principal))
    .map((s) => ({
      services: list((s.Principal as { Service: unknown }).Service).map(String),
      conditions: Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c)),
    }));
  const topicNames: Record<string, string> = {
    AlertTopic: "alerts",
    PagerTopic: "pager",
    EmailTopic: "email",
  };
  const tlsOnlyTopics = resources
    .filter((r) => r.Type === "AWS::SNS::TopicPolicy")
    .filter((r) =>
      ((r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? []).some(
        (s) =>
          s.Effect === "Deny" &&
          s.Principal === "*" &&
          list(s.Action).includes("sns:Publish") &&
          (s.Condition?.Bool as Record<string, unknown> | undefined)?.["aws:SecureTransport"] === "false",
      ),
    )
    .flatMap((r) =>
      list(r.Properties?.Topics).map((t) => topicNames[String((t as { Ref?: string }).Ref)] ?? "?"),
    );
  return { kmsServiceGrants, tlsOnlyTopics: tlsOnlyTopics.sort() };
}

function isServicePrincipal(principal: unknown): boolean {
  return typeof principal === "object" && principal !== null && "Service" in principal;
}

describe("Terraform, serverless.yml and SAM hold the same resource policies", { timeout: 60_000 }, () => {
  const facts = {} as Record<Deployment, PolicyFacts>;

  beforeAll(async () => {
    const decoded = await decodeTemplates([
      join(REPO, "serverless.yml"),
      join(REPO, "infra/sam/template.yaml"),
    ]);
    facts.terraform = await terraformPolicies();
    // serverless.yml's email topic comes from config.cjs (only when params ask for it): add it as
    // `serverless package --param=emailTopicSubscribers=...` would.
    const { emailTopic } = (await import(join(REPO, "infra/serverless/config.cjs"))) as {
      emailTopic(ctx: { resolveVariable(name: string): Promise<unknown> }): Promise<Node>;
    };
    const asked: Record<string, string> = {
      "param:emailTopicSubscribers": "digest@example.com",
      "self:service": "netutil-detector",
      "sls:stage": "test",
    };
    const emailResources = await emailTopic({ resolveVariable: async (name) => asked[name] ?? "" });
    const sls = decoded[join(REPO, "serverless.yml")] as Node;
    facts.serverless = cloudFormationPolicies({
      ...sls,
      resources: [...list(sls.resources), { Resources: emailResources }],
    });
    facts.sam = cloudFormationPolicies(decoded[join(REPO, "infra/sam/template.yaml")] as Node);
  }, 60_000);

  test.each(["terraform", "serverless", "sam"] as const)(
    "%s grants services the notification key only on behalf of this account (aws:SourceAccount), CloudWatch only for its alarms (aws:SourceArn)",
    (name) => {
      const grants = facts[name].kmsServiceGrants;
      expect(grants.flatMap((g) => g.services).sort()).toEqual([
        "cloudwatch.amazonaws.com",
        "sns.amazonaws.com",
        "sqs.amazonaws.com",
      ]);
      for (const grant of grants)
        expect(grant.conditions, grant.services.join()).toContain("aws:SourceAccount");
      const cloudwatch = grants.find((g) => g.services.includes("cloudwatch.amazonaws.com"));
      expect(cloudwatch?.conditions).toContain("aws:SourceArn");
    },
  );

  test.each(["terraform", "serverless", "sam"] as const)(
    "%s denies publishing to the alert, pager and email topics without TLS (aws:SecureTransport false)",
    (name) => {
      expect(facts[name].tlsOnlyTopics).toEqual(["alerts", "email", "pager"]);
    },
  );
});

/** The sinks beyond SNS: Sid -> [action, resource with the deployment's names normalized]. */
type SinkGrants = Record<string, [string, string]>;

const SINK_GRANTS: SinkGrants = {
  PutSignalEvents: ["events:PutEvents", "arn:P:events:R:A:event-bus/BUS"],
  ImportFindings: ["securityhub:BatchImportFindings", "arn:P:securityhub:R:A:product/A/default"],
  PublishChatCards: ["sns:Publish", "CHAT"],
};

/** Partition, region, account and the sink parameters written the same way in all three. */
function normalizeArn(text: string): string {
  return text
    .replace(/\$\{(local\.partition|AWS::Partition)\}/g, "P")
    .replace(/\$\{(local\.region|AWS::Region)\}/g, "R")
    .replace(/\$\{(local\.account_id|AWS::AccountId)\}/g, "A")
    .replace(/\$\{(var\.event_bus_name|EventBusName)\}|security-bus/g, "BUS")
    .replace(/^(var\.chat_topic_arn|ChatTopicArn|arn:aws:sns:us-east-1:123456789012:chat)$/, "CHAT");
}

describe("the sinks beyond SNS get the same IAM statement in all three deployments", {
  timeout: 60_000,
}, () => {
  test("Terraform (sinks.tf): one statement per configured sink", async () => {
    const tf = await readFile(join(REPO, "infra/terraform/modules/netutil-detector/sinks.tf"), "utf8");
    // The ARN a local builds: the last ARN string of its definition (event_bus_arn keeps an ARN given
    // as is and builds one from a name: the built form is compared).
    const arnOf = (local: string) => {
      const from = tf.search(new RegExp(`\\b${local}\\s*=`));
      const body = from < 0 ? "" : (tf.slice(from).split(/\n\s*\w+\s*=/)[0] ?? "");
      return [...body.matchAll(/"(arn:[^"]+)"/g)].at(-1)?.[1];
    };
    const grants: SinkGrants = {};
    for (const m of tf.matchAll(/sid = "(\w+)", actions = \["([^"]+)"\], resources = \[([\w.]+)\]/g)) {
      const ref = m[3] ?? "";
      const resource = ref.startsWith("local.") ? (arnOf(ref.slice(6)) ?? ref) : ref;
      grants[m[1] ?? ""] = [m[2] ?? "", normalizeArn(resource)];
    }
    expect(grants).toEqual(SINK_GRANTS);
  });

  test("SAM: each policy only under the condition of its parameter", async () => {
    const file = join(REPO, "infra/sam/template.yaml");
    const template = (await decodeTemplates([file]))[file] as Node;
    const policies = (((template.Resources as Node).DetectorRole as Node).Properties as Node)
      .Policies as Node[];
    const grants: SinkGrants = {};
    const conditions: Record<string, string> = {};
    for (const policy of policies) {
      const [condition, then] = (policy["Fn::If"] as [string, Node] | undefined) ?? [];
      if (!condition || !then || condition === "LedgerEnabled") continue;
      for (const s of (then.PolicyDocument as Node).Statement as Node[]) {
        const resource = s.Resource as Node;
        const sub = (resource["Fn::If"] as unknown[] | undefined)?.[2] ?? resource;
        const text =
          typeof sub === "object" && sub !== null
            ? String((sub as Node)["Fn::Sub"] ?? (sub as Node).Ref)
            : "";
        grants[String(s.Sid)] = [String(s.Action), normalizeArn(text)];
        conditions[String(s.Sid)] = condition;
      }
    }
    expect(grants).toEqual(SINK_GRANTS);
    expect(conditions).toEqual({
      PutSignalEvents: "HasEventBus",
      ImportFindings: "HasSecurityHub",
      PublishChatCards: "HasChatTopic",
    });
  });

  test("serverless.yml (config.cjs sinkPolicies): the statements of the params set, nothing when none is", async () => {
    const { sinkPolicies } = (await import(join(REPO, "infra/serverless/config.cjs"))) as {
      sinkPolicies(ctx: { resolveVariable(name: string): Promise<unknown> }): Promise<Record<string, Node>>;
    };
    const resolve = (params: Record<string, string>) => ({
      resolveVariable: async (name: string) => params[name.replace(/^param:/, "")] ?? "",
    });
    expect(await sinkPolicies(resolve({ securityHub: "false" }))).toEqual({});
    const all = await sinkPolicies(
      resolve({
        eventBusName: "security-bus",
        securityHub: "true",
        chatTopicArn: "arn:aws:sns:us-east-1:123456789012:chat",
      }),
    );
    const policy = all.DetectorSinksPolicy?.Properties as Node;
    expect(policy.Roles).toEqual([{ Ref: "IamRoleLambdaExecution" }]);
    const grants: SinkGrants = {};
    for (const s of (policy.PolicyDocument as Node).Statement as Node[]) {
      const r = s.Resource;
      grants[String(s.Sid)] = [
        String(s.Action),
        normalizeArn(typeof r === "string" ? r : String((r as Node)["Fn::Sub"])),
      ];
    }
    expect(grants).toEqual(SINK_GRANTS);
  });
});

/** The first-column names (`name`, `a`, `b`) of a markdown table's rows, after the heading `heading`. */
function tableRows(markdown: string, heading: string): string[][] {
  const from = markdown.indexOf(heading);
  if (from < 0) throw new Error(`"${heading}" not found`);
  const lines = markdown.slice(from).split("\n").slice(1);
  const start = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows.slice(2); // the header and the --- line
}

const codeNames = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");

describe("the READMEs list the deployment inputs as they are", { timeout: 60_000 }, () => {
  test("infra/terraform/README.md has one Inputs row per variable of variables.tf, with its default", async () => {
    const dir = join(REPO, "infra/terraform/modules/netutil-detector");
    const variables = await readFile(join(dir, "variables.tf"), "utf8");
    const readme = await readFile(join(REPO, "infra/terraform/README.md"), "utf8");
    const declared = [...variables.matchAll(/^variable "(\w+)" \{/gm)].map((m) => m[1] ?? "");
    const rows = tableRows(readme, "## Inputs");
    const listed = rows.map((r) => codeNames(r[0] ?? "")[0] ?? "");
    expect([...listed].sort()).toEqual([...declared].sort());
    for (const row of rows) {
      const name = codeNames(row[0] ?? "")[0] ?? "";
      const block = hclBlock(variables, `variable "${name}" {`);
      const literal = /\n\s*default\s*=\s*("[^"]*"|-?[0-9]+|true|false|null|\[\])\s*\n/.exec(block)?.[1];
      // An object default ({} with optional attributes) is described in words instead.
      if (literal) expect(row[2], name).toBe(`\`${literal}\``);
    }
  });

  test("README.md's enterprise inputs name real Terraform variables, SAM parameters and serverless params", async () => {
    const readme = await readFile(join(REPO, "README.md"), "utf8");
    const variables = await readFile(
      join(REPO, "infra/terraform/modules/netutil-detector/variables.tf"),
      "utf8",
    );
    const decoded = await decodeTemplates([
      join(REPO, "serverless.yml"),
      join(REPO, "infra/sam/template.yaml"),
    ]);
    const samParameters = Object.keys(
      (decoded[join(REPO, "infra/sam/template.yaml")] as Node).Parameters as Record<string, unknown>,
    );
    const slsParams = Object.keys(
      ((decoded[join(REPO, "serverless.yml")] as Node).params as { default: Record<string, unknown> })
        .default,
    );
    const rows = tableRows(readme, "### Inputs for enterprise accounts and the email topic");
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const [terraform = "", sam = "", sls = ""] of rows) {
      for (const name of codeNames(terraform)) expect(variables, name).toContain(`variable "${name}" {`);
      for (const name of codeNames(sam)) expect(samParameters, name).toContain(name);
      for (const name of codeNames(sls)) expect(slsParams, name).toContain(name);
    }
  });
});
