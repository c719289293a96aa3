import { describe, expect, it } from "vitest";
import { EMPTY_ALLOWLIST } from "../../src/detection/allowlist.js";
import type { LogBatch, Severity, SourceFormat } from "../../src/model.js";
import { processBatch } from "../../src/pipeline.js";
import { dockerWrapped, fieldFixtureNames, loadFieldFixture } from "./field-fixtures.js";

interface Expected {
  logGroup: string;
  format: SourceFormat;
  /** Exec events the fixture's lines yield in total. */
  events: number;
  /** Signals at MIN_SEVERITY low, as "utility severity", sorted. */
  signals: string[];
  /** Set when the exec-session marking and actor must show on every signal. */
  actor?: string;
}

const EKS_APP = "/aws/containerinsights/prod-eks/application";
const EKS_CONTROL = "/aws/eks/prod-eks/cluster";

/** What every field fixture must come to, raw and wrapped by a shipper. */
const EXPECTED: Record<string, Expected> = {
  "cloudtrail-eventbridge-ecs-exec": {
    logGroup: "/aws/events/ecs-exec",
    format: "cloudtrail-ecs-exec",
    events: 2,
    signals: ["nc critical"],
    actor: "arn:aws:sts::123456789012:assumed-role/ecs-operators/bob",
  },
  "datadog-user-session-k8s": {
    logGroup: EKS_APP,
    format: "datadog",
    events: 2,
    signals: ["curl high", "wget high"],
    actor: "arn:aws:sts::123456789012:assumed-role/eks-developer/mallory",
  },
  "falco-0.25-k8s-audit-attach-exec": {
    logGroup: EKS_APP,
    format: "falco",
    events: 1,
    signals: ["curl low"],
    actor: "kubernetes-admin",
  },
  "falco-0.13-pr461-netcat": {
    logGroup: EKS_APP,
    format: "falco",
    events: 2,
    signals: ["nc critical", "nc low"],
  },
  "falco-0.32-netcat-cmdline-only": {
    logGroup: EKS_APP,
    format: "falco",
    events: 1,
    signals: ["nc critical"],
  },
  "falco-0.32-network-tools": {
    logGroup: EKS_APP,
    format: "falco",
    events: 2,
    signals: ["curl high", "nmap low"],
  },
  "falco-0.35-netcat-k8s": { logGroup: EKS_APP, format: "falco", events: 1, signals: ["nc critical"] },
  "falco-0.41-netcat-append-output": {
    logGroup: EKS_APP,
    format: "falco",
    events: 2,
    // Same container, utility, parent and arguments: one signal with count 2.
    signals: ["nc.openbsd critical"],
  },
  "falco-k8saudit-eks-exec": {
    logGroup: EKS_CONTROL,
    format: "falco",
    events: 2,
    signals: ["curl critical", "nc low"],
    actor: "arn:aws:iam::123456789012:user/dev-mallory",
  },
  "falcosidekick-readme-write-below-binary-dir": {
    logGroup: EKS_APP,
    format: "falco",
    events: 1,
    signals: [],
  },
  "k8s-audit-items-one-per-line": {
    logGroup: EKS_CONTROL,
    format: "k8s-audit",
    events: 3,
    signals: ["curl high", "curl high"],
    actor: "arn:aws:sts::123456789012:assumed-role/eks-developer/mallory",
  },
  "k8s-audit-webhook-eventlist": {
    logGroup: "/k8s/prod-eks/audit-webhook",
    format: "k8s-audit",
    events: 2,
    signals: ["wget critical"],
    actor: "arn:aws:sts::123456789012:assumed-role/eks-developer/mallory",
  },
};

function batchOf(logGroup: string, messages: string[]): LogBatch {
  return {
    owner: "123456789012",
    logGroup,
    logStream: "field-fixture",
    subscriptionFilters: ["netutil-detector"],
    logEvents: messages.map((message, i) => ({
      id: `3820173645812240918652437504332908123193014882034876${String(i).padStart(4, "0")}`,
      timestamp: Date.UTC(2026, 2, 20, 12, 0, i),
      message,
    })),
  };
}

describe("fixtures from the field", () => {
  it("has an expectation for every fixture and provenance at the top of each", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(fieldFixtureNames());
    for (const name of fieldFixtureNames()) {
      const { provenance } = loadFieldFixture(name);
      expect(provenance.length, name).toBeGreaterThanOrEqual(3);
      expect(provenance.join(" "), name).toMatch(/[a-z0-9-]+\/[a-z0-9-]+|https?:\/\/|\.[a-z]{2,3}\//);
    }
  });

  describe.each(["raw", "docker json-file"] as const)("%s", (wrapping) => {
    it.each(Object.entries(EXPECTED))("%s", (name, expected) => {
      // Prepare
      const { lines } = loadFieldFixture(name);
      const messages = wrapping === "raw" ? lines : lines.map(dockerWrapped);
      const min: Severity = "low";

      // Act
      const { signals, stats } = processBatch(batchOf(expected.logGroup, messages), {
        minSeverity: min,
        allowlist: EMPTY_ALLOWLIST,
      });

      // Assess
      expect(stats.parseErrors).toBe(0);
      expect(stats.unrecognized).toBe(0);
      expect((stats.execEvents[expected.format] ?? 0) + stats.prefiltered).toBeGreaterThanOrEqual(
        expected.events,
      );
      expect(signals.map((s) => `${s.utility.name} ${s.severity}`).sort()).toEqual(expected.signals);
      for (const signal of signals) expect(signal.source.format).toBe(expected.format);
      if (expected.actor !== undefined) {
        for (const signal of signals) {
          expect(signal.viaExecSession).toBe(true);
          expect(signal.actor?.user).toBe(expected.actor);
        }
      }
    });
  });
});
