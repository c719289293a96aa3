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
      { topicArn: PAGER, minSeverity: "critical", pager: true },
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

describe("loadConfig: the signal ledger", () => {
  it("is off without LEDGER_TABLE, with a one-hour window and five pages by default", () => {
    expect(loadConfig({ SNS_TOPIC_ARN: TOPIC, LEDGER_TABLE: " " })).toMatchObject({
      ledgerTable: undefined,
      dedupWindowSeconds: 3600,
      pagerMaxPerWindow: 5,
    });
  });

  it("reads the table, the window and the pager budget", () => {
    const env = {
      SNS_TOPIC_ARN: TOPIC,
      LEDGER_TABLE: "netutil-ledger",
      DEDUP_WINDOW_SECONDS: "900",
      PAGER_MAX_PER_WINDOW: "2",
    };
    expect(loadConfig(env)).toMatchObject({
      ledgerTable: "netutil-ledger",
      dedupWindowSeconds: 900,
      pagerMaxPerWindow: 2,
    });
  });

  it.each([
    [{ LEDGER_TABLE: "arn:aws:dynamodb:us-east-1:123456789012:table/x" }, "LEDGER_TABLE"],
    [{ LEDGER_TABLE: "ab" }, "LEDGER_TABLE"],
    [{ DEDUP_WINDOW_SECONDS: "30" }, "DEDUP_WINDOW_SECONDS"],
    [{ DEDUP_WINDOW_SECONDS: "1h" }, "DEDUP_WINDOW_SECONDS"],
    [{ PAGER_MAX_PER_WINDOW: "0" }, "PAGER_MAX_PER_WINDOW"],
  ])("fails fast on %o, naming the variable", (env, variable) => {
    expect(variableOf(() => loadConfig({ SNS_TOPIC_ARN: TOPIC, ...env }))).toBe(variable);
  });
});

describe("CHANNEL_FAMILIES", () => {
  it("defaults to every family but saas-tunnel", () => {
    expect([...loadConfig({ SNS_TOPIC_ARN: TOPIC }).channels]).toEqual(["dev-tcp", "openssl", "tunnel"]);
  });

  it("takes a list, none or all", () => {
    expect([
      ...loadConfig({ SNS_TOPIC_ARN: TOPIC, CHANNEL_FAMILIES: "tunnel, saas-tunnel" }).channels,
    ]).toEqual(["tunnel", "saas-tunnel"]);
    expect(loadConfig({ SNS_TOPIC_ARN: TOPIC, CHANNEL_FAMILIES: "none" }).channels.size).toBe(0);
    expect(loadConfig({ SNS_TOPIC_ARN: TOPIC, CHANNEL_FAMILIES: "all" }).channels.size).toBe(4);
  });

  it("fails naming the variable and the unknown family", () => {
    expect(() => loadConfig({ SNS_TOPIC_ARN: TOPIC, CHANNEL_FAMILIES: "dev-tcp,ftp" })).toThrow(
      /CHANNEL_FAMILIES: unknown channel family "ftp"/,
    );
  });
});
