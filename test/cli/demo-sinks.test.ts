import { describe, expect, it } from "vitest";
import { runDemo } from "../../src/cli/demo.js";
import type { CliIO } from "../../src/cli/io.js";
import { UsageError } from "../../src/errors.js";
import type { Signal } from "../../src/model.js";
import { renderJson } from "../../src/signals/render.js";
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from "../../src/sinks/eventbridge.js";
import { ASFF_SCHEMA_VERSION } from "../../src/sinks/security-hub.js";
import { chatbotSchemaErrors } from "../support/chatbot-schema.js";
import { EVENTS_DIR } from "../support/events.js";

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

/** Runs `demo` in-process with only the given environment; stdout lines parsed as JSON. */
async function demo(args: string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  let stderr = "";
  const io: CliIO = {
    stdout: (line) => lines.push(line),
    stderr: (text) => {
      stderr += text;
    },
    env: { AWS_REGION: "eu-west-1", ...env },
    stderrIsTTY: false,
    now: () => NOW,
  };
  const status = await runDemo(["--dir", EVENTS_DIR, ...args], io);
  // biome-ignore lint/suspicious/noExplicitAny: three payload shapes, each checked field by field below
  const payloads = lines.map((l) => JSON.parse(l) as Record<string, any>);
  return { status, stderr, payloads };
}

describe("demo --sink", () => {
  it("chat: one Chatbot custom notification per signal at or above CHAT_MIN_SEVERITY, nothing else on stdout", async () => {
    const { status, stderr, payloads } = await demo(["--sink", "chat"], { CHAT_MIN_SEVERITY: "low" });
    const signals = await demo([]);
    expect(status).toBe(0);
    expect(stderr).toContain("every sample behaved as expected");
    expect(payloads.map((p) => p.id)).toEqual(signals.payloads.map((s) => s.id));
    for (const payload of payloads) expect(chatbotSchemaErrors(payload)).toEqual([]);
  });

  it("chat: keeps to the sink's own minimum severity", async () => {
    const { payloads } = await demo(["--sink", "chat"], { CHAT_MIN_SEVERITY: "critical" });
    const all = (await demo([])).payloads;
    expect(payloads.map((p) => p.id)).toEqual(all.filter((s) => s.severity === "critical").map((s) => s.id));
  });

  it("securityhub: ASFF findings under the account's default product, UpdatedAt from the clock", async () => {
    const { payloads } = await demo(["--sink", "securityhub"]);
    expect(payloads.length).toBeGreaterThan(0);
    for (const finding of payloads) {
      expect(finding).toMatchObject({
        SchemaVersion: ASFF_SCHEMA_VERSION,
        UpdatedAt: new Date(NOW).toISOString(),
      });
      expect(finding.ProductArn).toMatch(/^arn:aws:securityhub:eu-west-1:\d{12}:product\/\d{12}\/default$/);
      expect(finding.Resources.length).toBeGreaterThan(0);
    }
  });

  it("eventbridge: PutEvents entries for the configured bus, detail = the signal with its groupKey", async () => {
    const { payloads } = await demo(["--sink", "eventbridge"], { EVENT_BUS_NAME: "security" });
    const signals = (await demo([])).payloads.filter((s) => s.severity !== "low");
    expect(payloads).toHaveLength(signals.length);
    payloads.forEach((entry, i) => {
      expect(entry).toMatchObject({
        EventBusName: "security",
        Source: EVENT_SOURCE,
        DetailType: EVENT_DETAIL_TYPE,
      });
      const { groupKey, ...detail } = JSON.parse(entry.Detail);
      // The signal JSON SNS machine subscribers get (redacted, bounded), with its group key in front.
      expect(detail).toEqual(JSON.parse(renderJson(signals[i] as unknown as Signal)));
      expect(groupKey).toMatch(/^[\w-]+\/[0-9a-f]{32}$/);
    });
  });

  it("refuses an unknown sink, naming the choices", async () => {
    await expect(demo(["--sink", "pagerduty"])).rejects.toThrow(UsageError);
    await expect(demo(["--sink", "pagerduty"])).rejects.toThrow(/chat, securityhub, eventbridge/);
  });
});
