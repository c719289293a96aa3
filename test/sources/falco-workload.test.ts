import { describe, expect, it } from "vitest";
import { falco } from "../../src/sources/falco.js";
import { labelsOf, workloadEnrichment } from "../../src/sources/falco-workload.js";
import { loadFieldFixture } from "./field-fixtures.js";
import { context, K8S_GROUP } from "./fixtures.js";

const ctx = context({ logGroup: K8S_GROUP, logStream: "falco-7x2kq" });

describe("falco workload enrichment", () => {
  it("fills pod labels and the owning Deployment from k8s.pod.labels and k8smeta.deployment.name", () => {
    const line = loadFieldFixture("falco-0.41-netcat-append-output").lines[1]!;
    const [event] = falco.parse(line, ctx) ?? [];
    expect(event?.workload.labels).toEqual({ app: "storefront", "pod-template-hash": "6d9f8b7c5" });
    expect(event?.workload.owner).toEqual({ kind: "Deployment", name: "storefront" });
  });

  it.each([
    ["a JSON array", ["app:web", "tier:front"]],
    ["Falco's list text", "(app:web,tier:front)"],
    ["comma and space", "app:web, tier:front"],
  ])("reads labels written as %s", (_label, raw) => {
    const labels = labelsOf({ "k8smeta.pod.labels": raw });
    expect(Object.fromEntries(labels.pod)).toEqual({ app: "web", tier: "front" });
  });

  it("lets a singled-out label win over the list and bounds the number of labels", () => {
    const many = Array.from({ length: 200 }, (_, i) => `k${i}:v`).join(",");
    const labels = labelsOf({ "k8s.pod.label[app]": "api", "k8s.pod.labels": `app:web,${many}` });
    expect(labels.pod.get("app")).toBe("api");
    expect(labels.pod.size).toBe(64);
  });

  it("takes container labels when there are no pod labels: ECS family, pod and namespace from containerd", () => {
    // Prepare
    const fields = {
      "proc.cmdline": "curl -s http://169.254.170.2/v2/credentials/x",
      "container.id": "5dfb031145db",
      "container.labels":
        "com.amazonaws.ecs.cluster:prod,com.amazonaws.ecs.task-definition-family:report-worker," +
        "com.amazonaws.ecs.task-arn:arn:aws:ecs:us-east-1:123456789012:task/prod/5dfb031145db4ed6846234a3febc10b4",
    };

    // Act
    const [event] = falco.parse(JSON.stringify({ rule: "r", output: "x", output_fields: fields }), ctx) ?? [];

    // Assess
    expect(event?.workload).toMatchObject({ platform: "ecs", cluster: "prod", family: "report-worker" });
    expect(event?.workload.labels?.["com.amazonaws.ecs.cluster"]).toBe("prod");
    const k8s = labelsOf({ "container.label[io.kubernetes.pod.name]": "web-1" });
    expect(workloadEnrichment({}, k8s).labels).toEqual({ "io.kubernetes.pod.name": "web-1" });
    const [pod] =
      falco.parse(
        JSON.stringify({
          rule: "r",
          output: "x",
          output_fields: {
            "proc.name": "curl",
            "container.id": "abc",
            "container.label[io.kubernetes.pod.name]": "web-1",
            "container.label[io.kubernetes.pod.namespace]": "shop",
          },
        }),
        ctx,
      ) ?? [];
    expect(pod?.workload).toMatchObject({ platform: "kubernetes", namespace: "shop", pod: "web-1" });
  });

  it("names a ReplicaSet owner when no Deployment is given", () => {
    expect(workloadEnrichment({ "k8s.rs.name": "web-5b7d9c6f4" }, labelsOf({})).owner).toEqual({
      kind: "ReplicaSet",
      name: "web-5b7d9c6f4",
    });
  });
});
