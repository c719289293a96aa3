import { describe, expect, it } from "vitest";
import { EMPTY_ALLOWLIST } from "../../src/detection/allowlist.js";
import type { BatchStats, ExecEvent, Signal } from "../../src/model.js";
import { processBatch } from "../../src/pipeline.js";
import { parseMessage } from "../../src/sources/index.js";
import { parseTrustedSources, TRUST_ANY, type TrustPolicy } from "../../src/trust.js";
import { loadShippedFixture, shippedBatch, shippedFixtureNames } from "./shipped-fixtures.js";

interface Expected {
  /** Signals at MIN_SEVERITY low, as "utility severity", sorted. */
  signals: string[];
  stats: Partial<BatchStats>;
  /** TRUSTED_SOURCES for the fixture; the documented defaults unless said. */
  trust?: TrustPolicy;
  check?: (signals: Signal[]) => void;
}

const DEFAULTS = parseTrustedSources("default");

/** Each fixture, read with the documented default trust (the forged case also without any). */
const EXPECTED: Record<string, Expected> = {
  "container-insights-log-processed-tetragon-1.0": {
    signals: ["curl low"],
    stats: { execEvents: { tetragon: 1 }, parseErrors: 0, unrecognized: 0, untrusted: 0 },
    check([signal]) {
      // The kubernetes block names the Tetragon pod that printed the line: it must not become the workload.
      expect(signal?.container.name).toBe("spaceship");
      expect(signal?.workload).toMatchObject({ namespace: "default", pod: "xwing" });
      expect(eventsOf("container-insights-log-processed-tetragon-1.0")[0]?.workload.labels).toEqual({
        "app.kubernetes.io/name": "xwing",
        class: "xwing",
        org: "alliance",
      });
      expect(signal?.source.vouchedBy).toBe("tetragon=*:*tetragon-*_kube-system_export-stdout-*");
    },
  },
  "cri-tetragon-0.8-testdata": {
    signals: [],
    stats: { execEvents: {}, prefiltered: 1, parseErrors: 0, unrecognized: 0, untrusted: 0 },
  },
  "fluent-bit-merged-falco": {
    signals: ["nc.traditional critical"],
    stats: { execEvents: { falco: 1 }, parseErrors: 0, unrecognized: 0, untrusted: 0 },
    check([signal]) {
      // The labels are the Falco pod's, not the workload's.
      expect(eventsOf("fluent-bit-merged-falco")[0]?.workload.labels).toBeUndefined();
      expect(signal?.source.vouchedBy).toBe("falco=*:*falco-*_falco_falco-*");
    },
  },
  "firelens-datadog-same-task": {
    signals: ["curl high"],
    // No default vouches for Datadog: the deployment names its stream.
    trust: parseTrustedSources("default, datadog=/ecs/orders-api/firelens:orders-api-firelens-*"),
    stats: { execEvents: { datadog: 1 }, parseErrors: 0, unrecognized: 0, untrusted: 0 },
    check([signal]) {
      expect(signal?.workload).toMatchObject({ platform: "ecs", cluster: "prod-api" });
      expect(signal?.source.vouchedBy).toBe("datadog=/ecs/orders-api/firelens:orders-api-firelens-*");
      expect(eventsOf("firelens-datadog-same-task")[0]?.workload.family).toBe("orders-api");
    },
  },
  "forged-app-lines": {
    signals: [],
    stats: { execEvents: {}, unrecognized: 3, untrusted: 1, parseErrors: 0 },
  },
  "tetragon-1.x-no-ancestors-chain": {
    signals: ["curl medium", "wget high"],
    stats: { execEvents: { tetragon: 3 }, prefiltered: 1, parseErrors: 0, unrecognized: 0, untrusted: 0 },
    check(signals) {
      const curl = signals.find((s) => s.utility.name === "curl");
      expect(curl?.ancestors.map((a) => a.path)).toEqual(["/bin/sh", "/tmp/.x/loader", "/bin/bash"]);
      expect(curl?.reasons).toContain("ancestor /tmp/.x/loader runs from a writable location (/tmp)");
      expect(curl?.reasons.join("\n")).toMatch(/outside the container's init tree/);
      expect(curl?.reasons.join("\n")).toMatch(/curl runs with effective uid 0 although its uid is 1000/);
      expect(eventsOf("tetragon-1.x-no-ancestors-chain")[0]?.workload.owner).toEqual({
        kind: "Deployment",
        name: "cart",
      });
      const wget = signals.find((s) => s.utility.name === "wget");
      expect(wget?.ancestors[0]?.path).toBe("/proc/self/fd/3 (deleted)");
      expect(wget?.reasons.join("\n")).toMatch(/wget is set-user-ID: it runs as uid 0/);
    },
  },
};

/** Every exec event the fixture's lines parse to (the workload fields signals do not carry yet). */
function eventsOf(name: string): ExecEvent[] {
  const fixture = loadShippedFixture(name);
  return fixture.lines.flatMap((message, i) => {
    const outcome = parseMessage(message, {
      logGroup: fixture.logGroup,
      logStream: fixture.logStream,
      owner: "123456789012",
      eventId: String(i),
      timestamp: 0,
    });
    return outcome.kind === "events" ? outcome.events : [];
  });
}

function run(name: string, trust: TrustPolicy) {
  return processBatch(shippedBatch(loadShippedFixture(name)), {
    minSeverity: "low",
    allowlist: EMPTY_ALLOWLIST,
    trust,
  });
}

const summary = (signals: Signal[]) => signals.map((s) => `${s.utility.name} ${s.severity}`).sort();

describe("events as shippers deliver them", () => {
  it("has an expectation, a group, a stream and provenance for every fixture", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(shippedFixtureNames());
    for (const name of shippedFixtureNames()) {
      const fixture = loadShippedFixture(name);
      expect(fixture.logGroup, name).not.toBe("");
      expect(fixture.logStream, name).not.toBe("");
      expect(fixture.provenance.join(" "), name).toMatch(/[a-z0-9-]+\/[a-z0-9-]+/);
    }
  });

  it.each(Object.entries(EXPECTED))("%s", (name, expected) => {
    // Act
    const { signals, stats } = run(name, expected.trust ?? DEFAULTS);

    // Assess
    expect(summary(signals)).toEqual(expected.signals);
    expect(stats).toMatchObject(expected.stats);
    expected.check?.(signals);
  });

  it("reads the chain's grandparent only through the other events of the batch", () => {
    // Prepare: the curl event alone, as in a batch that lacks its parents' events.
    const fixture = loadShippedFixture("tetragon-1.x-no-ancestors-chain");
    fixture.lines = fixture.lines.slice(0, 1);

    // Act
    const { signals } = processBatch(shippedBatch(fixture), {
      minSeverity: "low",
      allowlist: EMPTY_ALLOWLIST,
    });

    // Assess
    expect(summary(signals)).toEqual(["curl low"]);
    expect(signals[0]?.ancestors).toHaveLength(1);
  });

  it("still never reads a record embedded in an app's line when every stream is trusted", () => {
    const { signals, stats } = run("forged-app-lines", TRUST_ANY);
    // Only the app's whole-line record counts; without TRUSTED_SOURCES it is believed (README: Trust).
    expect(stats).toMatchObject({ unrecognized: 3, untrusted: 0 });
    expect(summary(signals)).toEqual(["wget critical"]);
    expect(signals[0]?.source.vouchedBy).toBeUndefined();
  });
});
