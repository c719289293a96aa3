import { describe, expect, it } from "vitest";
import { ENV, ENV_DEFAULTS, emitSeverity, loadConfig, routesFor } from "../src/config.js";
import { ConfigError } from "../src/errors.js";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:netutil-alerts";
const PAGER = "arn:aws:sns:us-east-1:123456789012:netutil-pager";

function variableOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).variable;
  }
  return "no error";
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({ SNS_TOPIC_ARN: TOPIC, AWS_REGION: "eu-west-1" });
    expect(config).toMatchObject({
      snsTopicArn: TOPIC,
      minSeverity: "medium",
      pagerTopicArn: undefined,
      pagerMinSeverity: "high",
      dedupTtlSeconds: 3600,
      maxDecodedBytes: 32 * 1024 * 1024,
      region: "eu-west-1",
    });
    expect(config.allowlist.size).toBe(0);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads every variable", () => {
    const config = loadConfig({
      SNS_TOPIC_ARN: TOPIC,
      PAGER_TOPIC_ARN: PAGER,
      MIN_SEVERITY: "LOW",
      PAGER_MIN_SEVERITY: "critical",
      DEDUP_TTL_SECONDS: "60",
      MAX_DECODED_BYTES: "1048576",
      ALLOWLIST: '[{"utility":"curl","args":"localhost:9090/metrics","comment":"prometheus probe"}]',
    });
    expect(config.minSeverity).toBe("low");
    expect(config.pagerMinSeverity).toBe("critical");
    expect(config.dedupTtlSeconds).toBe(60);
    expect(config.maxDecodedBytes).toBe(1_048_576);
    expect(config.allowlist.size).toBe(1);
    expect(routesFor(config)).toEqual([
      { topicArn: TOPIC, minSeverity: "low" },
      { topicArn: PAGER, minSeverity: "critical" },
    ]);
  });

  it("lets the CLI run without a topic (dry run)", () => {
    const config = loadConfig({}, { requireTopic: false });
    expect(config.snsTopicArn).toBeUndefined();
    expect(routesFor(config)).toEqual([]);
  });

  it.each([
    ["missing topic in Lambda", {}, "SNS_TOPIC_ARN"],
    ["topic not an ARN", { SNS_TOPIC_ARN: "alerts" }, "SNS_TOPIC_ARN"],
    ["FIFO topic", { SNS_TOPIC_ARN: `${TOPIC}.fifo` }, "SNS_TOPIC_ARN"],
    ["bad severity", { SNS_TOPIC_ARN: TOPIC, MIN_SEVERITY: "urgent" }, "MIN_SEVERITY"],
    ["bad pager severity", { SNS_TOPIC_ARN: TOPIC, PAGER_MIN_SEVERITY: "3" }, "PAGER_MIN_SEVERITY"],
    ["pager without alert topic", { PAGER_TOPIC_ARN: PAGER }, "PAGER_TOPIC_ARN"],
    ["TTL not a number", { SNS_TOPIC_ARN: TOPIC, DEDUP_TTL_SECONDS: "1h" }, "DEDUP_TTL_SECONDS"],
    ["bound too small", { SNS_TOPIC_ARN: TOPIC, MAX_DECODED_BYTES: "10" }, "MAX_DECODED_BYTES"],
    ["allowlist not JSON", { SNS_TOPIC_ARN: TOPIC, ALLOWLIST: "curl" }, "ALLOWLIST"],
    ["allowlist entry unknown key", { SNS_TOPIC_ARN: TOPIC, ALLOWLIST: '[{"proc":"curl"}]' }, "ALLOWLIST"],
    [
      "trusted source without a format",
      { SNS_TOPIC_ARN: TOPIC, TRUSTED_SOURCES: "/aws/eks/*" },
      "TRUSTED_SOURCES",
    ],
    [
      "trusted source of an unknown format",
      { SNS_TOPIC_ARN: TOPIC, TRUSTED_SOURCES: "sysdig=/x" },
      "TRUSTED_SOURCES",
    ],
  ])("fails fast on %s, naming the variable", (_name, env, variable) => {
    const requireTopic = !("PAGER_TOPIC_ARN" in env) || "SNS_TOPIC_ARN" in env;
    expect(variableOf(() => loadConfig(env as Record<string, string>, { requireTopic }))).toBe(variable);
  });

  it("trusts every stream by default and reads TRUSTED_SOURCES", () => {
    expect(loadConfig({ SNS_TOPIC_ARN: TOPIC }).trust.entries).toEqual([]);
    const config = loadConfig({
      SNS_TOPIC_ARN: TOPIC,
      TRUSTED_SOURCES: "k8s-audit=/aws/eks/*/cluster:kube-apiserver-audit-*",
    });
    expect(config.trust.vouch("k8s-audit", "/aws/eks/prod/cluster", "kube-apiserver-audit-1")).toBe(
      "k8s-audit=/aws/eks/*/cluster:kube-apiserver-audit-*",
    );
    expect(config.trust.vouch("tetragon", "/aws/eks/prod/cluster", "kube-apiserver-audit-1")).toBeNull();
  });

  it("gives defaults only for variables listed in ENV", () => {
    for (const name of Object.keys(ENV_DEFAULTS)) expect(Object.values(ENV)).toContain(name);
  });
});

describe("bundled allowlist", () => {
  it("applies the bundled entries before ALLOWLIST's", () => {
    const config = loadConfig(
      { ALLOWLIST: '[{"utility":"dig"}]' },
      { requireTopic: false, bundledAllowlist: '[{"utility":"curl"},{"utility":"wget"}]' },
    );
    expect(config.allowlist.size).toBe(3);
  });

  it("fails fast naming the bundled file", () => {
    expect(variableOf(() => loadConfig({}, { requireTopic: false, bundledAllowlist: '[{"bogus":1}]' }))).toBe(
      "allowlist.json",
    );
  });
});

describe("FIFO topics", () => {
  it("are refused with the reason, not as a malformed ARN", () => {
    expect(() => loadConfig({ SNS_TOPIC_ARN: `${TOPIC}.fifo` })).toThrow(
      /FIFO topic, which cannot deliver to email/,
    );
  });
});

describe("emitSeverity", () => {
  it("is MIN_SEVERITY unless a pager wants lower", () => {
    expect(emitSeverity(loadConfig({ SNS_TOPIC_ARN: TOPIC }))).toBe("medium");
    expect(emitSeverity(loadConfig({ SNS_TOPIC_ARN: TOPIC, PAGER_TOPIC_ARN: PAGER }))).toBe("medium");
    expect(
      emitSeverity(loadConfig({ SNS_TOPIC_ARN: TOPIC, PAGER_TOPIC_ARN: PAGER, PAGER_MIN_SEVERITY: "low" })),
    ).toBe("low");
    expect(emitSeverity(loadConfig({ SNS_TOPIC_ARN: TOPIC, PAGER_MIN_SEVERITY: "low" }))).toBe("medium");
  });
});
