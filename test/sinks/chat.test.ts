import { describe, expect, it } from "vitest";
import { buildChatNotification } from "../../src/sinks/chat.js";
import { findingId } from "../../src/sinks/finding-id.js";
import { makeSignal } from "../signals/signal-factory.js";
import { chatbotSchemaErrors } from "../support/chatbot-schema.js";

describe("buildChatNotification", () => {
  it("follows Chatbot's custom-notification schema, threaded by the finding id", () => {
    const signal = makeSignal(1, "high");

    const card = buildChatNotification(signal, "eu-west-1");

    expect(chatbotSchemaErrors(card)).toEqual([]);
    expect(card).toMatchObject({
      version: "1.0",
      source: "custom",
      id: signal.id,
      content: {
        textType: "client-markdown",
        title: `:rotating_light: [HIGH] Network utility executed in container: curl in prod/payments/api-1`,
        nextSteps: signal.triage,
        keywords: ["high", "curl", "eks", "T1105"],
      },
      metadata: {
        threadId: findingId(signal),
        summary: "[HIGH] Network utility executed in container: curl in prod/payments/api-1",
        eventType: "net_util_in_container",
        relatedResources: ["arn:aws:eks:eu-west-1:123456789012:cluster/prod"],
      },
    });
    expect(card.content.description.split("\n")).toEqual([
      "*Severity:* HIGH",
      "*Utility:* `curl` (download)",
      "*Command line:* `curl -sSL https://example.com/tool-1 -o /tmp/t`",
      "*Workload:* `prod / payments / api-1 / api` (eks)",
      "*Image:* `registry.example.com/payments/api:1.4.2`",
      "*Why:* curl downloads to /tmp; parent is a shell",
      "*Seen:* 1 time(s), 2024-05-01T12:00:01.000Z to 2024-05-01T12:00:01.000Z",
      "<https://console.aws.amazon.com/cloudwatch/home|Open the log stream in the CloudWatch console>",
    ]);
  });

  it("redacts and cuts the command line, and a backtick cannot break out of the code span", () => {
    const card = buildChatNotification(
      makeSignal(2, "critical", {
        process: {
          name: "curl",
          path: "/usr/bin/curl",
          args: ["-H", "Authorization: Bearer abcdef0123456789abcdef", "`rm -rf /`", "x".repeat(2000)],
        },
      }),
    );

    const line = card.content.description.split("\n")[2] ?? "";
    expect(line).not.toContain("abcdef0123456789abcdef");
    expect(line).toContain("[REDACTED]");
    expect(line.match(/`/g)).toHaveLength(2);
    expect(line.length).toBeLessThan(400);
    expect(chatbotSchemaErrors(card)).toEqual([]);
  });

  it("the schema check rejects what Chatbot would not accept", () => {
    expect(chatbotSchemaErrors({ version: "1.0", source: "aws", content: {} })).toEqual([
      'source must be "custom"',
      "content.description is required",
    ]);
  });
});
