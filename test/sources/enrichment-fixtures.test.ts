import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EMPTY_ALLOWLIST } from "../../src/detection/allowlist.js";
import type { ExecEvent } from "../../src/model.js";
import { processBatch } from "../../src/pipeline.js";
import { routingAttributes } from "../../src/signals/routing.js";
import { parseMessage } from "../../src/sources/index.js";
import { tetragon } from "../../src/sources/tetragon.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "enrichment");
const GROUP = "/aws/containerinsights/prod-eks/application";

/** Real exporter output, one event per line after a `#` provenance header. */
function load(name: string): { provenance: string[]; lines: string[] } {
  const text = readFileSync(join(DIR, `${name}.txt`), "utf8").split("\n");
  return {
    provenance: text.filter((line) => line.startsWith("#")),
    lines: text.filter((line) => line.trim() !== "" && !line.startsWith("#")),
  };
}

function eventsOf(name: string): ExecEvent[] {
  return load(name).lines.flatMap((message, i) => {
    const outcome = parseMessage(message, {
      logGroup: GROUP,
      logStream: "tetragon-export",
      owner: "123456789012",
      eventId: String(i),
      timestamp: 0,
    });
    return outcome.kind === "events" ? outcome.events : [];
  });
}

describe("enrichment from real exporter output (test/fixtures/enrichment)", () => {
  it("every fixture names where it comes from", () => {
    for (const file of readdirSync(DIR).filter((f) => f.endsWith(".txt"))) {
      const { provenance, lines } = load(file.slice(0, -4));
      expect(provenance.length, file).toBeGreaterThanOrEqual(3);
      expect(provenance.join(" "), file).toMatch(/cilium\/tetragon|falcosecurity\//);
      expect(provenance.join(" "), file).toMatch(/\b[0-9a-f]{40}\b/);
      expect(lines.length, file).toBeGreaterThan(0);
    }
  });

  it("Tetragon docs: pod labels, and the workload without workload_kind read as the bare Pod it is", () => {
    const [event] = eventsOf("tetragon-docs-curl-xwing");

    expect(event?.source.format).toBe(tetragon.format);
    expect(event?.workload).toMatchObject({
      // EKS and its cluster from the Container Insights log group the line arrived in.
      platform: "eks",
      cluster: "prod-eks",
      namespace: "default",
      pod: "xwing",
      node: "gke-john-632-default-pool-7041cac0-9s95",
      owner: { kind: "Pod", name: "xwing" },
      labels: { "app.kubernetes.io/name": "xwing", class: "xwing", org: "alliance" },
    });
    expect(event?.container).toMatchObject({ name: "spaceship", image: "docker.io/tgraf/netperf:latest" });
  });

  it("Tetragon docs: the signal carries the routing fields, as SNS attributes too", () => {
    const { lines } = load("tetragon-docs-curl-xwing");
    const { signals } = processBatch(
      {
        owner: "123456789012",
        logGroup: GROUP,
        logStream: "tetragon-export",
        subscriptionFilters: ["netutil-detector"],
        logEvents: lines.map((message, i) => ({ id: String(i), timestamp: 0, message })),
      },
      { minSeverity: "low", allowlist: EMPTY_ALLOWLIST },
    );

    expect(signals).toHaveLength(1);
    const [signal] = signals;
    expect(signal?.workload.owner).toEqual({ kind: "Pod", name: "xwing" });
    expect(signal?.workload.labels).toEqual({
      "app.kubernetes.io/name": "xwing",
      class: "xwing",
      org: "alliance",
    });
    const attributes = Object.fromEntries(
      Object.entries(routingAttributes(signal!)).map(([name, a]) => [name, a.StringValue]),
    );
    expect(attributes).toMatchObject({
      utility: "curl",
      namespace: "default",
      owner_kind: "Pod",
      owner_name: "xwing",
      "label.app.kubernetes.io_name": "xwing",
      "label.class": "xwing",
      "label.org": "alliance",
    });
  });

  it("Tetragon testdata (GKE, 2022): pod labels of each pod, no owner where the export names none", () => {
    const events = eventsOf("tetragon-testdata-events-gke");

    expect(events.map((e) => [e.workload.pod, e.workload.labels])).toEqual([
      ["tiefighter", { "app.kubernetes.io/name": "tiefighter", class: "tiefighter", org: "empire" }],
      [
        "deathstar-6f87496b94-qdlh8",
        {
          "app.kubernetes.io/name": "deathstar",
          class: "deathstar",
          org: "empire",
          "pod-template-hash": "6f87496b94",
        },
      ],
      [
        "deathstar-6f87496b94-gjf74",
        {
          "app.kubernetes.io/name": "deathstar",
          class: "deathstar",
          org: "empire",
          "pod-template-hash": "6f87496b94",
        },
      ],
    ]);
    for (const event of events) expect(event.workload.owner).toBeUndefined();
  });

  it("a workload named without its kind: a Deployment by Tetragon's pod-template-hash rule, else unknown", () => {
    const [line] = load("tetragon-testdata-events-gke").lines.slice(1);
    const record = JSON.parse(line ?? "{}");
    const withWorkload = (workload: string) => {
      const copy = structuredClone(record);
      copy.process_exec.process.pod.workload = workload;
      const ctx = { logGroup: GROUP, logStream: "s", owner: "123456789012", eventId: "1", timestamp: 0 };
      return tetragon.parse(JSON.stringify(copy), ctx)?.[0]?.workload.owner;
    };

    expect(withWorkload("deathstar")).toEqual({ kind: "Deployment", name: "deathstar" });
    expect(withWorkload("empire-ops")).toEqual({ kind: "unknown", name: "empire-ops" });
  });
});
