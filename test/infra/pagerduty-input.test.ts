// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings, where ${Name} is literal.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Severity, Signal } from "../../src/model.js";
import { buildEventEntry } from "../../src/sinks/eventbridge.js";
import { findingId } from "../../src/sinks/finding-id.js";
import { makeSignal } from "../signals/signal-factory.js";
import { ROOT } from "../support/cli.js";
import { applyInputTransformer } from "../support/input-transformer.js";
import { decodeTemplates } from "./tools.js";

const MODULE = join(ROOT, "infra/terraform/modules/netutil-detector");
interface Transformer {
  input_paths: Record<string, string>;
  /** The Events v2 body with %SEVERITY% where each rule's PagerDuty severity goes. */
  input_template: string;
}
const input = JSON.parse(readFileSync(join(MODULE, "pagerduty-input.json"), "utf8")) as Transformer;
const tf = readFileSync(join(MODULE, "pagerduty.tf"), "utf8");
const tfVariables = readFileSync(join(MODULE, "variables.tf"), "utf8");
const ROUTING_KEY = "R0UT1NGKEY0000000000000000000000";

type Node = Record<string, unknown>;
const SAM_FILE = join(ROOT, "infra/sam/template.yaml");
/** The SAM template as written (Fn::ForEach not expanded), read with cfn-lint's decoder. */
const sam = (await decodeTemplates([SAM_FILE]))[SAM_FILE] as Node;
const samResources = sam.Resources as Record<string, Node>;
const [loopId, loopLevels, loopFragment] = (sam.Resources as Record<string, unknown>)[
  "Fn::ForEach::PagerDutyRules"
] as [string, string[], Record<string, Node>];
const samRule = Object.values(loopFragment)[0] as Node;
const samTarget = ((samRule.Properties as Node).Targets as Node[])[0] as Node;
const samTransformer = samTarget.InputTransformer as {
  InputPathsMap: Record<string, string>;
  InputTemplate: Node;
};
const [samTemplateText, samTemplateVars] = samTransformer.InputTemplate["Fn::Sub"] as [string, Node];
/** SAM's transformer in pagerduty-input.json's shape: its Fn::Sub variable back to %SEVERITY%. */
const samInput: Transformer = {
  input_paths: samTransformer.InputPathsMap,
  input_template: samTemplateText.replaceAll("${PagerDutySeverity}", "%SEVERITY%"),
};
const TRANSFORMERS: [string, Transformer][] = [
  ["Terraform pagerduty-input.json", input],
  ["SAM template.yaml", samInput],
];

/** pagerduty_severity in pagerduty.tf: ours to the Events v2 levels. */
const PD_SEVERITY: Record<Severity, string> = {
  low: "info",
  medium: "warning",
  high: "error",
  critical: "critical",
};

/** The event as EventBridge hands it to a rule's target (the PutEvents entry in its envelope). */
function busEvent(signal: Signal) {
  const entry = buildEventEntry(signal, { busName: "signals", region: "eu-west-1" });
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": entry.DetailType,
    source: entry.Source,
    account: "123456789012",
    time: signal.timestamp,
    region: "eu-west-1",
    resources: entry.Resources,
    detail: JSON.parse(entry.Detail ?? "{}"),
  };
}

/**
 * The body PagerDuty receives: the rule's template (Terraform fills %SEVERITY% per rule) applied to
 * the event, plus the connection's body parameter routing_key, which EventBridge adds to a JSON body.
 */
function eventsV2Body(signal: Signal, level: Severity, transformer: Transformer = input) {
  const template = transformer.input_template.replace("%SEVERITY%", PD_SEVERITY[level]);
  const body = JSON.parse(applyInputTransformer(busEvent(signal), transformer.input_paths, template));
  return { ...body, routing_key: ROUTING_KEY };
}

describe.each(TRANSFORMERS)("PagerDuty input transformer (%s)", (_, transformer) => {
  const owner = { kind: "Deployment", name: "api" };
  const samples: Signal[] = [
    makeSignal(1, "high"),
    makeSignal(2, "critical", {
      title: 'nc executed in "payments"\\api <pod> {x}',
      workload: { platform: "eks", cluster: "prod", namespace: "payments", pod: "api-7d4b-x", owner },
    }),
    makeSignal(3, "medium", {
      workload: {
        platform: "ecs",
        cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
        task: "arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef",
      },
    }),
  ];

  it.each(samples.map((s) => [s.severity, s] as const))(
    "builds an Events v2 trigger for a %s signal",
    (_, signal) => {
      const body = eventsV2Body(signal, signal.severity, transformer);

      expect(body).toMatchObject({
        routing_key: ROUTING_KEY,
        event_action: "trigger",
        dedup_key: findingId(signal),
        payload: {
          summary: signal.title,
          severity: PD_SEVERITY[signal.severity],
          source: signal.source.logGroup,
          component: signal.utility.name,
          group: signal.workload.platform,
          class: "net_util_in_container",
          timestamp: signal.timestamp,
        },
        links: [{ href: signal.links.logStream }, { href: signal.links.rule }],
      });
      expect(body.payload.custom_details).toMatchObject({ id: signal.id, groupKey: findingId(signal) });
      // Events v2 limits: dedup_key at most 255 characters, summary at most 1024.
      expect(body.dedup_key.length).toBeLessThanOrEqual(255);
      expect(body.payload.summary.length).toBeLessThanOrEqual(1024);
    },
  );

  it("repeats of one group share the dedup key, so PagerDuty keeps one incident", () => {
    const owner = { kind: "Deployment", name: "api" };
    const a = makeSignal(10, "high", {
      workload: { platform: "eks", cluster: "prod", namespace: "payments", pod: "api-1", owner },
    });
    const b = makeSignal(11, "high", {
      workload: { platform: "eks", cluster: "prod", namespace: "payments", pod: "api-2", owner },
    });
    expect(eventsV2Body(a, "high", transformer).dedup_key).toBe(
      eventsV2Body(b, "high", transformer).dedup_key,
    );
  });
});

describe("PagerDuty in the Terraform module (pagerduty.tf)", () => {
  it("uses only Events v2 severities, and the routing key comes from the connection as a secret, not the template", () => {
    expect(input.input_template).not.toMatch(/routing_key/);
    expect(tf).toMatch(/body\s*\{\s*key\s*=\s*"routing_key"[\s\S]*?is_value_secret\s*=\s*true/);
    const mapping = /pagerduty_severity\s*=\s*\{([^}]*)\}/.exec(tf)?.[1] ?? "";
    const fromTf = Object.fromEntries([...mapping.matchAll(/(\w+)\s*=\s*"(\w+)"/g)].map((m) => [m[1], m[2]]));
    expect(fromTf).toEqual(PD_SEVERITY);
  });
});

/** The first `name = "…"` or `name = 123` after `opening` in pagerduty.tf (or `source`). */
function hclValue(opening: string, name: string, source = tf): string {
  const start = source.indexOf(opening);
  if (start < 0) throw new Error(`${opening} not found`);
  const block = source.slice(start);
  const match = new RegExp(`\\n\\s*${name}\\s*=\\s*("([^"]*)"|\\d+)`).exec(block);
  if (!match) throw new Error(`${name} not found after ${opening}`);
  return match[2] ?? match[1] ?? "";
}

/** CloudFormation's condition functions, over the parameter values given (defaults otherwise). */
function evaluateCondition(name: string, values: Record<string, string>): boolean {
  const conditions = sam.Conditions as Record<string, unknown>;
  const parameters = sam.Parameters as Record<string, { Default?: unknown }>;
  const value = (node: unknown): unknown => {
    if (typeof node !== "object" || node === null) return node;
    const [fn, args] = Object.entries(node)[0] as [string, unknown];
    const list = args as unknown[];
    switch (fn) {
      case "Ref":
        return values[args as string] ?? String(parameters[args as string]?.Default);
      case "Condition":
        return evaluateCondition(args as string, values);
      case "Fn::Equals":
        return String(value(list[0])) === String(value(list[1]));
      case "Fn::Not":
        return !value(list[0]);
      case "Fn::And":
        return list.every((c) => value(c) === true);
      case "Fn::Or":
        return list.some((c) => value(c) === true);
      default:
        throw new Error(`condition function ${fn} is not evaluated here`);
    }
  };
  if (!(name in conditions)) throw new Error(`no condition ${name}`);
  return value(conditions[name]) === true;
}

describe("PagerDuty in the SAM template holds what pagerduty.tf holds", () => {
  const levels = sam.Mappings as Record<string, Record<string, { Severity: string; EventsV2: string }>>;
  const byRule = levels.PagerDutyLevels ?? {};
  const ours = (level: string) => byRule[level]?.Severity ?? "";

  it("applies the same input transformer: InputPathsMap and InputTemplate equal pagerduty-input.json's", () => {
    expect(samTransformer.InputPathsMap).toEqual(input.input_paths);
    expect(samInput.input_template).toBe(input.input_template);
    expect(samTemplateVars).toEqual({
      PagerDutySeverity: { "Fn::FindInMap": ["PagerDutyLevels", { Ref: loopId }, "EventsV2"] },
    });
  });

  it("maps our severities to the Events v2 ones as pagerduty_severity does, one rule per severity", () => {
    expect(Object.fromEntries(Object.values(byRule).map((l) => [l.Severity, l.EventsV2]))).toEqual(
      PD_SEVERITY,
    );
    expect(loopLevels.map(ours)).toEqual(["low", "medium", "high", "critical"]);
  });

  it("creates the rules of the severities at or above PagerDutyMinSeverity, only with a bus and a routing key", () => {
    const order = ["low", "medium", "high", "critical"];
    expect(hclValue('variable "pagerduty_min_severity"', "default", tfVariables)).toBe(
      String((sam.Parameters as Record<string, Node>).PagerDutyMinSeverity?.Default),
    );
    const condition = (samRule.Condition as Node)["Fn::Sub"] as string;
    const created = (values: Record<string, string>) =>
      loopLevels
        .filter((level) => evaluateCondition(condition.replace(`\${${loopId}}`, level), values))
        .map(ours);
    const on = { EventBusName: "security-bus", PagerDutyRoutingKey: ROUTING_KEY };
    for (const min of order) {
      // pagerduty_levels: slice(severity_levels, index(min), length)
      expect(created({ ...on, PagerDutyMinSeverity: min }), min).toEqual(order.slice(order.indexOf(min)));
    }
    // The defaults: no bus, no routing key.
    expect(created({})).toEqual([]);
    expect(created({ ...on, EventBusName: "" })).toEqual([]);
    expect(created({ ...on, PagerDutyRoutingKey: "" })).toEqual([]);
    for (const shared of ["PagerDutyConnection", "PagerDutyApiDestination", "PagerDutyRole"]) {
      expect(samResources[shared]?.Condition, shared).toBe("HasPagerDuty");
    }
    expect(evaluateCondition("HasPagerDuty", on)).toBe(true);
    expect(evaluateCondition("HasPagerDuty", { ...on, EventBusName: "" })).toBe(false);
  });

  it("matches the same events, on our bus, and retries as long as the Terraform target", () => {
    const rule = samRule.Properties as Node;
    expect(rule.EventBusName).toEqual({ Ref: "EventBusName" });
    expect(rule.EventPattern).toEqual({
      source: [/source\s*=\s*\["([^"]+)"\]/.exec(tf)?.[1]],
      "detail-type": [/"detail-type"\s*=\s*\["([^"]+)"\]/.exec(tf)?.[1]],
      detail: { severity: [{ "Fn::FindInMap": ["PagerDutyLevels", { Ref: loopId }, "Severity"] }] },
    });
    expect(samTarget).toMatchObject({
      Id: hclValue('resource "aws_cloudwatch_event_target" "pagerduty"', "target_id"),
      Arn: { "Fn::GetAtt": ["PagerDutyApiDestination", "Arn"] },
      RoleArn: { "Fn::GetAtt": ["PagerDutyRole", "Arn"] },
      RetryPolicy: {
        MaximumEventAgeInSeconds: Number(hclValue("retry_policy {", "maximum_event_age_in_seconds")),
        MaximumRetryAttempts: Number(hclValue("retry_policy {", "maximum_retry_attempts")),
      },
    });
  });

  it("puts the routing key in a connection body parameter marked secret, and posts to the same endpoint", () => {
    const connection = samResources.PagerDutyConnection?.Properties as Node;
    expect(connection).toMatchObject({
      AuthorizationType: "API_KEY",
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyName: hclValue("api_key {", "key"),
          ApiKeyValue: { Ref: "PagerDutyRoutingKey" },
        },
        InvocationHttpParameters: {
          BodyParameters: [
            { Key: "routing_key", Value: { Ref: "PagerDutyRoutingKey" }, IsValueSecret: true },
          ],
        },
      },
    });
    expect((sam.Parameters as Record<string, Node>).PagerDutyRoutingKey).toMatchObject({
      NoEcho: true,
      Default: "",
    });
    expect(samTemplateText).not.toMatch(/routing_key/);
    const destination = samResources.PagerDutyApiDestination?.Properties as Node;
    const api = 'resource "aws_cloudwatch_event_api_destination" "pagerduty"';
    expect(destination).toMatchObject({
      ConnectionArn: { "Fn::GetAtt": ["PagerDutyConnection", "Arn"] },
      InvocationEndpoint: { Ref: "PagerDutyEventsUrl" },
      HttpMethod: hclValue(api, "http_method"),
      InvocationRateLimitPerSecond: Number(hclValue(api, "invocation_rate_limit_per_second")),
    });
    expect((sam.Parameters as Record<string, Node>).PagerDutyEventsUrl?.Default).toBe(
      hclValue('variable "pagerduty_events_url"', "default", tfVariables),
    );
  });

  it("lets EventBridge invoke only that API destination, through a role of its own", () => {
    const role = samResources.PagerDutyRole?.Properties as Node;
    expect(role.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        { Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
    const statements = (role.Policies as Node[]).flatMap(
      (p) => (p.PolicyDocument as Node).Statement,
    ) as Node[];
    expect(statements).toEqual([
      {
        Sid: /Sid\s*=\s*"(\w+)"/.exec(tf)?.[1],
        Effect: "Allow",
        Action: /Action\s*=\s*"([^"]+)"/.exec(tf)?.[1],
        Resource: { "Fn::GetAtt": ["PagerDutyApiDestination", "Arn"] },
      },
    ]);
  });
});

describe("Opsgenie input transformer (README, Opsgenie through the bus)", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /```json opsgenie-input\n([\s\S]*?)\n```/.exec(readme)?.[1];
  const opsgenie = JSON.parse(block ?? "{}") as Transformer;
  const PRIORITY: Record<Severity, string> = { low: "P4", medium: "P3", high: "P2", critical: "P1" };

  it.each(["low", "medium", "high", "critical"] as const)(
    "builds an Opsgenie create-alert body for a %s signal",
    (severity) => {
      const signal = makeSignal(7, severity, {
        workload: { platform: "eks", cluster: "prod", namespace: "payments", pod: "api-7d4b-x" },
      });
      const template = opsgenie.input_template.replace("%PRIORITY%", PRIORITY[severity]);

      const body = JSON.parse(applyInputTransformer(busEvent(signal), opsgenie.input_paths, template));

      expect(body).toEqual({
        message: signal.title,
        alias: findingId(signal),
        description: signal.message,
        priority: PRIORITY[severity],
        source: "netutil-detector",
        entity: signal.source.logGroup,
        tags: ["netutil-detector", signal.utility.name, signal.workload.platform],
        details: {
          signalId: signal.id,
          severity,
          logStream: signal.links.logStream,
          rule: signal.links.rule,
        },
      });
      // Create Alert API: alias at most 512 characters, details a map of strings.
      expect(body.alias.length).toBeLessThanOrEqual(512);
      for (const value of Object.values(body.details)) expect(typeof value).toBe("string");
    },
  );

  it("holds no key: Opsgenie's goes in the connection's Authorization header", () => {
    expect(opsgenie.input_template).not.toMatch(/GenieKey|apiKey|api_key/i);
  });
});
