import { describe, expect, it } from "vitest";
import { findingId } from "../../src/sinks/finding-id.js";
import { makeSignal } from "../signals/signal-factory.js";

describe("findingId", () => {
  it("is the same for the same rule, workload and utility, whatever the pod, evidence or severity", () => {
    const owner = { kind: "Deployment", name: "api" };
    const a = makeSignal(1, "high", {
      workload: { platform: "eks", cluster: "prod", namespace: "payments", pod: "api-1", owner },
    });
    const b = makeSignal(2, "medium", {
      workload: { platform: "eks", cluster: "prod", namespace: "payments", pod: "api-2", owner },
    });

    expect(findingId(a)).toBe(findingId(b));
    expect(findingId(a)).toMatch(/^net_util_in_container\/[0-9a-f]{32}$/);
  });

  it("differs for another utility, namespace, ECS service or account", () => {
    const base = makeSignal(1, "high");
    const ecs = (service: string) =>
      makeSignal(1, "high", { workload: { platform: "ecs", cluster: "c", service, task: "t1" } });

    expect(findingId(makeSignal(1, "high", { utility: { name: "wget", category: "download" } }))).not.toBe(
      findingId(base),
    );
    expect(findingId(makeSignal(1, "high", { workload: { ...base.workload, namespace: "other" } }))).not.toBe(
      findingId(base),
    );
    expect(findingId(ecs("checkout"))).not.toBe(findingId(ecs("payments")));
    expect(findingId(makeSignal(1, "high", { source: { ...base.source, owner: "210987654321" } }))).not.toBe(
      findingId(base),
    );
  });

  it("falls back to the pod when no controller is known", () => {
    expect(findingId(makeSignal(1, "high"))).not.toBe(findingId(makeSignal(2, "high")));
  });
});
