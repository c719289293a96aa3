import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Severity, Signal } from "../../src/model.js";
import { buildEventEntry } from "../../src/sinks/eventbridge.js";
import { findingId } from "../../src/sinks/finding-id.js";
import { makeSignal } from "../signals/signal-factory.js";
import { ROOT } from "../support/cli.js";
import { applyInputTransformer } from "../support/input-transformer.js";

const MODULE = join(ROOT, "infra/terraform/modules/netutil-detector");
const input = JSON.parse(readFileSync(join(MODULE, "pagerduty-input.json"), "utf8")) as {
  input_paths: Record<string, string>;
  input_template: string;
};
const tf = readFileSync(join(MODULE, "pagerduty.tf"), "utf8");
const ROUTING_KEY = "R0UT1NGKEY0000000000000000000000";

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
function eventsV2Body(signal: Signal, level: Severity) {
  const template = input.input_template.replace("%SEVERITY%", PD_SEVERITY[level]);
  const body = JSON.parse(applyInputTransformer(busEvent(signal), input.input_paths, template));
  return { ...body, routing_key: ROUTING_KEY };
}

describe("PagerDuty input transformer (pagerduty-input.json)", () => {
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
      const body = eventsV2Body(signal, signal.severity);

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
    expect(eventsV2Body(a, "high").dedup_key).toBe(eventsV2Body(b, "high").dedup_key);
  });

  it("uses only Events v2 severities, and the routing key comes from the connection as a secret, not the template", () => {
    expect(input.input_template).not.toMatch(/routing_key/);
    expect(tf).toMatch(/body\s*\{\s*key\s*=\s*"routing_key"[\s\S]*?is_value_secret\s*=\s*true/);
    const mapping = /pagerduty_severity\s*=\s*\{([^}]*)\}/.exec(tf)?.[1] ?? "";
    const fromTf = Object.fromEntries([...mapping.matchAll(/(\w+)\s*=\s*"(\w+)"/g)].map((m) => [m[1], m[2]]));
    expect(fromTf).toEqual(PD_SEVERITY);
  });
});
