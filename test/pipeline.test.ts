import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSamples, readme } from "../events/src/generate.js";
import { loadConfig } from "../src/config.js";
import { handleEvent, type Sink } from "../src/invocation.js";
import { RULE, SEVERITIES } from "../src/model.js";
import { execEventCount } from "../src/pipeline.js";
import { maxSeverity } from "../src/severity.js";
import { silentTelemetry } from "../src/telemetry.js";
import { EVENTS_DIR, manifest, sampleEvent } from "./support/events.js";

const config = loadConfig({ AWS_REGION: "us-east-1" }, { requireTopic: false });
const drySink: Sink = async (signals) => ({ published: signals.length, deduplicated: 0, requests: 0 });

async function run(file: string) {
  return handleEvent(sampleEvent(file), { config, sink: drySink, telemetry: silentTelemetry });
}

describe("pipeline over every sample event", () => {
  it.each(manifest().map((entry) => [entry.file, entry] as const))("%s", async (_file, entry) => {
    if (entry.expect.error) {
      await expect(run(entry.file)).rejects.toMatchObject({ name: "DecodeError" });
      return;
    }
    const result = await run(entry.file);

    expect(result.signals).toHaveLength(entry.expect.signals);
    expect(result.controlMessages > 0).toBe(Boolean(entry.expect.control));
    if (entry.expect.severity) {
      const top = result.signals.map((s) => s.severity).reduce(maxSeverity);
      expect(top).toBe(entry.expect.severity);
    }
    for (const signal of result.signals) {
      expect(Object.keys(signal)).toEqual(
        expect.arrayContaining([
          "id",
          "rule",
          "severity",
          "reasons",
          "timestamp",
          "process",
          "ancestors",
          "container",
          "workload",
          "source",
          "count",
        ]),
      );
      expect(signal.rule).toEqual(RULE);
      expect(SEVERITIES).toContain(signal.severity);
      expect(signal.reasons.length).toBeGreaterThan(0);
      expect(signal.message).toBe(
        `The process \`${signal.process.name}\` was executed, potentially to download additional tools.`,
      );
      expect(signal.triage).toHaveLength(5);
      expect(signal.links.logStream).toMatch(
        /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/home/,
      );
      expect(signal.source.eventIds.length).toBeGreaterThan(0);
    }
  });

  it("yields the same signal ids when a batch is retried", async () => {
    for (const entry of manifest().filter((e) => e.expect.signals > 0)) {
      const first = (await run(entry.file)).signals.map((s) => s.id);
      const second = (await run(entry.file)).signals.map((s) => s.id);
      expect(second).toEqual(first);
    }
  });

  it("counts every log event in exactly one bucket", async () => {
    const result = await run("mixed-batch-with-garbage.json");
    const s = result.stats;
    const parsed = execEventCount(s);
    expect(s.logEvents).toBe(s.invalidEvents + s.prefiltered + s.unrecognized + s.parseErrors + parsed);
    expect(s.parseErrors).toBeGreaterThanOrEqual(1);
    expect(result.signals).toHaveLength(1);
  });

  it("aggregates a repeated execution into one signal with a count", async () => {
    const [signal] = (await run("tetragon-reverse-shell.json")).signals;
    expect(signal?.count).toBe(3);
    expect(signal?.source.eventIds).toHaveLength(3);
    expect((signal?.firstSeen ?? "") < (signal?.lastSeen ?? "")).toBe(true);
  });

  it("aggregates the audit stages of one kubectl exec into one signal", async () => {
    const result = await run("eks-audit-kubectl-exec.json");
    expect(result.signals).toHaveLength(1);
    expect(result.signals[0]).toMatchObject({
      viaExecSession: true,
      workload: { cluster: "prod-eks", namespace: "payments", pod: "checkout-api-7d9f6c5b8-x2x7k" },
    });
  });

  it("applies MIN_SEVERITY but counts everything", async () => {
    const low = loadConfig({ MIN_SEVERITY: "low" }, { requireTopic: false });
    const result = await handleEvent(sampleEvent("tetragon-benign.json"), {
      config: low,
      sink: drySink,
      telemetry: silentTelemetry,
    });
    expect(result.signals.map((s) => s.severity)).toEqual(["low"]);
    const medium = await run("tetragon-benign.json");
    expect(medium.signals).toEqual([]);
    expect(medium.stats.belowMinSeverity).toBe(1);
    expect(medium.stats.hostProcesses).toBe(1);
    expect(medium.stats.benign).toBe(2);
  });

  it("suppresses allowlisted findings and counts them", async () => {
    const allow = loadConfig(
      {
        ALLOWLIST: JSON.stringify([
          { utility: "nc", namespace: "payments", maxSeverity: "critical", comment: "red-team exercise" },
        ]),
      },
      { requireTopic: false },
    );
    const result = await handleEvent(sampleEvent("tetragon-reverse-shell.json"), {
      config: allow,
      sink: drySink,
      telemetry: silentTelemetry,
    });
    expect(result.signals).toEqual([]);
    expect(result.stats.suppressed).toBe(3);
  });

  it("rejects an event that is neither awslogs nor Kinesis", async () => {
    await expect(
      handleEvent({ Records: [] }, { config, sink: drySink, telemetry: silentTelemetry }),
    ).rejects.toMatchObject({ name: "DecodeError", stage: "event" });
  });
});

describe("sample events", () => {
  it("are exactly what events/src/generate.ts produces (run `npm run events` after editing it)", () => {
    const { files, manifest: expected } = buildSamples();
    for (const [name, text] of files) expect(readFileSync(join(EVENTS_DIR, name), "utf8")).toBe(text);
    expect(manifest()).toEqual(expected);
    expect(readFileSync(join(EVENTS_DIR, "README.md"), "utf8")).toBe(readme(expected));
  });
});
