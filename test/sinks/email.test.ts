import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { MESSAGE_BUDGET_BYTES, SUBJECT_MAX_CHARS } from "../../src/signals/render.js";
import { buildDigest, counterKey, type EmailPlan, memoryCounter, planEmail } from "../../src/sinks/email.js";
import { makeSignal } from "../signals/signal-factory.js";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts";
const EMAIL = "arn:aws:sns:us-east-1:123456789012:alerts-email";
const MINUTE = Math.floor(Date.UTC(2026, 11, 4, 1, 2, 0) / 60_000);
const OVER: Exclude<EmailPlan, { kind: "individual" }> = { kind: "digest", reason: "over-budget", total: 50 };

describe("email config", () => {
  it("is off without EMAIL_TOPIC_ARN and budgets 10 a minute by default", () => {
    expect(loadConfig({ SNS_TOPIC_ARN: TOPIC })).toMatchObject({
      emailTopicArn: undefined,
      emailDigestPerMinute: 10,
    });
    expect(
      loadConfig({ SNS_TOPIC_ARN: TOPIC, EMAIL_TOPIC_ARN: EMAIL, EMAIL_DIGEST_PER_MINUTE: "0" }),
    ).toMatchObject({ emailTopicArn: EMAIL, emailDigestPerMinute: 0 });
  });

  it.each([
    ["EMAIL_DIGEST_PER_MINUTE", { EMAIL_DIGEST_PER_MINUTE: "ten" }, /from 0 to 600; got "ten"/],
    ["EMAIL_DIGEST_PER_MINUTE", { EMAIL_DIGEST_PER_MINUTE: "601" }, /from 0 to 600/],
    ["EMAIL_DIGEST_PER_MINUTE", { EMAIL_DIGEST_PER_MINUTE: "-1" }, /whole number/],
    ["EMAIL_DIGEST_PER_MINUTE", { EMAIL_DIGEST_PER_MINUTE: "2.5" }, /whole number/],
    ["EMAIL_TOPIC_ARN", { EMAIL_TOPIC_ARN: "alerts-email" }, /not an SNS topic ARN/],
    ["EMAIL_TOPIC_ARN", { EMAIL_TOPIC_ARN: `${EMAIL}.fifo` }, /FIFO/],
    ["EMAIL_TOPIC_ARN", { EMAIL_TOPIC_ARN: TOPIC }, /must be a topic of its own/],
  ])("rejects a bad %s with a ConfigError naming it (%j)", (variable, env, message) => {
    let thrown: unknown;
    try {
      loadConfig({ SNS_TOPIC_ARN: TOPIC, ...env });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message).toMatch(message);
  });
});

describe("planEmail: a batch within the minute's budget goes one by one, otherwise as one digest", () => {
  it.each([
    [1, 10, "individual"],
    [10, 10, "individual"],
    [11, 10, "digest"],
    [50, 10, "digest"],
    [1, 0, "digest"],
  ])("count %i with budget %i: %s", (total, perMinute, kind) => {
    expect(planEmail(total, perMinute).kind).toBe(kind);
  });
});

describe("memoryCounter", () => {
  it("counts per minute and forgets past minutes", async () => {
    const counter = memoryCounter();
    expect(await counter.add(MINUTE, 6)).toBe(6);
    expect(await counter.add(MINUTE, 6)).toBe(12);
    expect(await counter.add(MINUTE + 1, 1)).toBe(1);
  });

  it("keys the shared counter by topic and minute", () => {
    expect(counterKey(EMAIL, MINUTE)).toBe(`email|${EMAIL}|2026-12-04T01:02Z`);
  });
});

describe("buildDigest", () => {
  it("lists severity, utility, workload, command line and id, most severe first", () => {
    const signals = [
      makeSignal(1, "medium"),
      makeSignal(2, "critical", {
        workload: {
          platform: "ecs",
          cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/shop",
          task: "arn:aws:ecs:us-east-1:123456789012:task/shop/0123456789abcdef0123456789abcdef",
          service: "checkout",
        },
      }),
    ];

    const digest = buildDigest(signals, OVER, 10, MINUTE);

    expect(digest.subject).toBe("[CRITICAL] netutil-detector digest: 2 signals (2026-12-04 01:02 UTC)");
    expect(digest.listed).toBe(2);
    expect(digest.message).toContain(
      [
        "1. [CRITICAL] curl in shop / checkout / 0123456789abcdef0123456789abcdef / api (ecs)",
        "   Command line: curl -sSL https://example.com/tool-2 -o /tmp/t",
        `   Signal id:    ${signals[1]?.id}`,
        "",
        "2. [MEDIUM] curl in prod / payments / api-1 / api (eks)",
      ].join("\n"),
    );
    expect(digest.message).toContain("By severity: critical 1, medium 1");
    expect(digest.message).toContain("(50 so far)");
  });

  it("never carries what redaction masks", () => {
    const secret = makeSignal(3, "high", {
      process: {
        name: "curl",
        path: "/usr/bin/curl",
        args: ["-H", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def", "https://u:hunter2@example.com/"],
      },
    });

    const digest = buildDigest([secret], OVER, 10, MINUTE);

    expect(digest.message).not.toContain("hunter2");
    expect(digest.message).not.toContain("eyJhbGciOiJIUzI1NiJ9");
    expect(digest.message).toContain("[REDACTED]");
  });

  it("stays within the SNS limits for 1,500 signals with long, hostile text: cut with a +K more line", () => {
    const long = "x".repeat(2_000);
    const signals = Array.from({ length: 1_500 }, (_, i) =>
      makeSignal(i, "high", {
        utility: { name: `curl\nSubject: injected ${long}`, category: "download" },
        process: { name: "curl", path: "/usr/bin/curl", args: [long, "é\u0007\r\n"] },
      }),
    );

    const digest = buildDigest(
      signals,
      { kind: "digest", reason: "counter-unavailable", where: "memory" },
      10,
      MINUTE,
    );

    expect(digest.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
    expect(digest.subject).toMatch(/^[\x20-\x7e]+$/);
    const bytes = Buffer.byteLength(digest.message) + Buffer.byteLength(digest.subject);
    expect(bytes).toBeLessThanOrEqual(MESSAGE_BUDGET_BYTES);
    expect(digest.listed).toBeGreaterThan(100);
    expect(digest.listed).toBeLessThan(1_500);
    expect(digest.message.trimEnd().split("\n").at(-1)).toBe(
      `+${1_500 - digest.listed} more signals not listed (message size limit); each is on the machine topic.`,
    );
    // Every entry line is one line: no field can start a line of its own.
    expect(digest.message).not.toMatch(/\nSubject: injected/);
  });
});
