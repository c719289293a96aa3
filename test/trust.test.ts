import { describe, expect, it } from "vitest";
import { DEFAULT_TRUSTED_SOURCES, parseTrustedSources, TRUST_ANY } from "../src/trust.js";

describe("parseTrustedSources", () => {
  it.each(["", "any", " any "])("trusts every stream for %j", (text) => {
    expect(parseTrustedSources(text)).toBe(TRUST_ANY);
    expect(TRUST_ANY.vouch("tetragon", "/ecs/app", "web/app/1")).toBeUndefined();
  });

  const defaults = parseTrustedSources("default");

  it.each([
    [
      "tetragon",
      "/aws/containerinsights/prod/application",
      "ip-10-0-1-2.ec2.internal-application.var.log.containers.tetragon-7xk2p_kube-system_export-stdout-3c0e.log",
    ],
    [
      "falco",
      "/aws/containerinsights/prod/application",
      "h-application.var.log.containers.falco-9vd2k_falco_falco-a7b1.log",
    ],
    ["falco", "/falco/alerts", "falcosidekick-logstream"],
    ["k8s-audit", "/aws/eks/prod/cluster", "kube-apiserver-audit-6f1c2d3e"],
    ["cloudtrail-ecs-exec", "aws-cloudtrail-logs-123456789012-1a2b3c4d", "123456789012_CloudTrail_us-east-1"],
    ["cloudtrail-ecs-exec", "/aws/events/ecs-exec", "5e8a3c71"],
  ] as const)("the defaults trust %s from %s", (format, group, stream) => {
    expect(defaults.vouch(format, group, stream)).toEqual(expect.stringMatching(new RegExp(`^${format}=`)));
  });

  it.each([
    [
      "tetragon",
      "/aws/containerinsights/prod/application",
      "h-application.var.log.containers.web-7d_shop_web-e1f2.log",
    ],
    // A pod named like Tetragon in another namespace: names cannot contain "_", so it cannot pose as kube-system.
    [
      "tetragon",
      "/aws/containerinsights/prod/application",
      "h-application.var.log.containers.tetragon-x_shop_export-stdout-1.log",
    ],
    ["k8s-audit", "/aws/eks/prod/cluster", "authenticator-6f1c"],
    ["k8s-audit", "/ecs/app", "kube-apiserver-audit-1"],
    ["datadog", "/ecs/app", "ecs/app/1"],
  ] as const)("the defaults do not trust %s from %s %s", (format, group, stream) => {
    expect(defaults.vouch(format, group, stream)).toBeNull();
  });

  it("reads custom entries, the stream defaulting to any, and `*` for every format", () => {
    const policy = parseTrustedSources("datadog=/ecs/dd-agent\n*=/security/*:monitor-*, default");
    expect(policy.entries).toHaveLength(2 + DEFAULT_TRUSTED_SOURCES.length);
    expect(policy.vouch("datadog", "/ecs/dd-agent", "x")).toBe("datadog=/ecs/dd-agent:*");
    expect(policy.vouch("falco", "/security/a", "monitor-1")).toBe("*=/security/*:monitor-*");
    expect(policy.vouch("falco", "/security/a", "app-1")).toBeNull();
  });

  it.each([
    ["tetragon", /not "default"/],
    ["nope=/x", /unknown format "nope"/],
    ["falco=", /empty log group/],
    ["falco=/x:", /empty log group or stream/],
    [`falco=/${"x".repeat(600)}`, /at most 512 characters/],
    [Array.from({ length: 101 }, () => "falco=/x").join(","), /at most 100 entries/],
  ])("rejects %s", (text, message) => {
    expect(() => parseTrustedSources(text)).toThrow(message);
  });
});
