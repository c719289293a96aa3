import { describe, expect, it } from "vitest";
import {
  buildEventEntry,
  EVENT_DETAIL_TYPE,
  EVENT_SOURCE,
  entryBytes,
  PUT_EVENTS_MAX_BYTES,
  resourceArns,
} from "../../src/sinks/eventbridge.js";
import { findingId } from "../../src/sinks/finding-id.js";
import { makeSignal } from "../signals/signal-factory.js";

const TASK = "arn:aws:ecs:eu-west-1:123456789012:task/payments/0123456789abcdef0123456789abcdef";

describe("buildEventEntry", () => {
  it("puts the signal JSON, led by its group key, under the documented source and detail-type", () => {
    const signal = makeSignal(1, "high");

    const entry = buildEventEntry(signal, { busName: "security", region: "eu-west-1" });

    expect(entry).toMatchObject({
      EventBusName: "security",
      Source: "netutil-detector",
      DetailType: "Network utility executed in container",
      Resources: ["arn:aws:eks:eu-west-1:123456789012:cluster/prod"],
      Time: new Date(signal.timestamp),
    });
    expect(JSON.parse(entry.Detail ?? "")).toEqual({ groupKey: findingId(signal), ...signal });
    expect(Object.keys(JSON.parse(entry.Detail ?? ""))[0]).toBe("groupKey");
    expect([EVENT_SOURCE, EVENT_DETAIL_TYPE]).toEqual([
      "netutil-detector",
      "Network utility executed in container",
    ]);
  });

  it("stays within 256 KB per entry by the documented arithmetic, cutting evidence visibly", () => {
    const signal = makeSignal(2, "critical", {
      process: {
        name: "curl",
        path: "/usr/bin/curl",
        args: Array.from({ length: 4000 }, (_, i) => `arg-${i}-${"é".repeat(60)}`),
      },
    });

    const entry = buildEventEntry(signal, { busName: "default" });

    expect(entryBytes(entry)).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
    // 14 bytes for Time, then the UTF-8 bytes of Source, DetailType, Detail and Resources.
    expect(entryBytes(entry)).toBe(14 + 16 + 37 + Buffer.byteLength(entry.Detail ?? "", "utf8") + 0);
    expect(JSON.parse(entry.Detail ?? "").truncated).toBe(true);
  });

  it("redacts a secret that a signal built elsewhere still carries", () => {
    const signal = makeSignal(3, "high", {
      process: {
        name: "curl",
        path: "/usr/bin/curl",
        args: ["-H", "Authorization: Bearer abcdef0123456789abcdef", "https://x"],
      },
    });

    const entry = buildEventEntry(signal, { busName: "default" });

    expect(entry.Detail).not.toContain("abcdef0123456789abcdef");
    expect(entry.Detail).toContain("[REDACTED]");
  });
});

describe("resourceArns", () => {
  it("names the ECS task and, from its ARN, the cluster", () => {
    const signal = makeSignal(4, "high", { workload: { platform: "ecs", cluster: "payments", task: TASK } });
    expect(resourceArns(signal, "eu-west-1")).toEqual([
      TASK,
      "arn:aws:ecs:eu-west-1:123456789012:cluster/payments",
    ]);
  });

  it("keeps an ECS cluster that is already an ARN, and names nothing for a bare task id", () => {
    const cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/payments";
    expect(
      resourceArns(
        makeSignal(5, "high", { workload: { platform: "ecs", cluster, task: "0123abcd" } }),
        "eu-west-1",
      ),
    ).toEqual([cluster]);
    expect(
      resourceArns(makeSignal(6, "high", { workload: { platform: "ecs", task: "0123abcd" } }), "eu-west-1"),
    ).toEqual([]);
  });

  it("names an EKS cluster only when the region and account are known", () => {
    expect(resourceArns(makeSignal(7, "high"), undefined)).toEqual([]);
    const k8s = makeSignal(8, "high", {
      workload: { platform: "kubernetes", cluster: "onprem", namespace: "a", pod: "b" },
    });
    expect(resourceArns(k8s, "eu-west-1")).toEqual([]);
  });
});
