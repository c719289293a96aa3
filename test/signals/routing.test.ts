import { describe, expect, it } from "vitest";
import {
  labelAttributeName,
  MAX_ROUTING_ATTRIBUTES,
  ROUTING_VALUE_MAX_CHARS,
  routingAttributes,
} from "../../src/signals/routing.js";
import { makeSignal } from "./signal-factory.js";

const values = (attributes: ReturnType<typeof routingAttributes>) =>
  Object.fromEntries(Object.entries(attributes).map(([name, a]) => [name, a.StringValue]));

describe("routingAttributes", () => {
  it("names the Kubernetes workload: severity, utility, cluster, namespace, owner, then labels", () => {
    const signal = makeSignal(1, "high", {
      workload: {
        platform: "eks",
        cluster: "prod",
        namespace: "payments",
        pod: "api-7d4b-aaaaa",
        owner: { kind: "Deployment", name: "api" },
        labels: {
          "pod-template-hash": "7d4b",
          "app.kubernetes.io/name": "api",
          zone: "a",
          team: "payments-sre",
          "app.kubernetes.io/version": "1.4.2",
          tier: "backend",
        },
      },
    });

    const attributes = routingAttributes(signal);

    expect(Object.keys(attributes)).toEqual([
      "severity",
      "utility",
      "platform",
      "cluster",
      "namespace",
      "owner_kind",
      "owner_name",
      "label.team",
      "label.app.kubernetes.io_name",
      "label.app.kubernetes.io_version",
    ]);
    expect(values(attributes)).toMatchObject({
      severity: "high",
      utility: "curl",
      namespace: "payments",
      owner_kind: "Deployment",
      owner_name: "api",
      "label.team": "payments-sre",
    });
    for (const attribute of Object.values(attributes)) expect(attribute.DataType).toBe("String");
  });

  it("names the ECS service and task family", () => {
    const signal = makeSignal(2, "critical", {
      workload: {
        platform: "ecs",
        cluster: "shop",
        task: "t-1",
        service: "checkout",
        family: "checkout-task",
      },
    });

    expect(values(routingAttributes(signal))).toEqual({
      severity: "critical",
      utility: "curl",
      platform: "ecs",
      cluster: "shop",
      ecs_service: "checkout",
      ecs_family: "checkout-task",
    });
  });

  it("never exceeds 10 attributes, names SNS accepts, values redacted and bounded", () => {
    const labels = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`example.com/key ${i}..x.`, `v${i}`]),
    );
    const signal = makeSignal(3, "medium", {
      workload: {
        platform: "kubernetes",
        namespace: `ns-${"n".repeat(1_000)}`,
        owner: { kind: "Job", name: "backup password=hunter2hunter2" },
        labels: { ...labels, team: "" },
      },
    });

    const attributes = routingAttributes(signal);

    expect(Object.keys(attributes)).toHaveLength(MAX_ROUTING_ATTRIBUTES);
    for (const [name, attribute] of Object.entries(attributes)) {
      expect(name).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*[A-Za-z0-9_-]$/);
      expect(name).not.toMatch(/\.\./);
      expect(attribute.StringValue?.length).toBeLessThanOrEqual(ROUTING_VALUE_MAX_CHARS);
      expect(attribute.StringValue).not.toBe("");
    }
    expect(attributes.owner_name?.StringValue).not.toContain("hunter2");
    expect(attributes["label.team"]).toBeUndefined();
  });

  it("maps label keys to attribute names", () => {
    expect(labelAttributeName("app.kubernetes.io/part-of")).toBe("label.app.kubernetes.io_part-of");
    expect(labelAttributeName("a..b.")).toBe("label.a.b_");
  });
});
