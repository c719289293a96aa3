import { describe, expect, it } from "vitest";
import { SOURCE_FORMATS } from "../../src/model.js";
import { PARSERS, parseMessage } from "../../src/sources/index.js";
import { context, fixtureNames, loadFixture, loadMessage } from "./fixtures.js";

const ctx = context();

/** Every fixture, what the registry makes of it: format and number of exec events. */
const OUTCOMES: Record<string, [format: string, events: number]> = {
  "cloudtrail-ecs-exec-benign-shell": ["cloudtrail-ecs-exec", 1],
  "cloudtrail-ecs-exec-denied": ["cloudtrail-ecs-exec", 0],
  "cloudtrail-ecs-exec-nc": ["cloudtrail-ecs-exec", 1],
  "cloudtrail-ecs-run-task": ["cloudtrail-ecs-exec", 0],
  "datadog-benign-php": ["datadog", 1],
  "datadog-busybox-wget": ["datadog", 1],
  "datadog-curl-ecs-credentials": ["datadog", 1],
  "datadog-exit": ["datadog", 0],
  "falco-dig-exfil-ecs": ["falco", 1],
  "falco-file-open-busybox": ["falco", 1],
  "falco-host-curl": ["falco", 1],
  "falco-k8saudit-plugin": ["falco", 1],
  "falco-nc-reverse-shell": ["falco", 1],
  "falco-shell-in-container": ["falco", 1],
  "k8s-audit-attach": ["k8s-audit", 0],
  "k8s-audit-exec-benign-ls": ["k8s-audit", 1],
  "k8s-audit-exec-imds-complete": ["k8s-audit", 1],
  "k8s-audit-exec-imds-started": ["k8s-audit", 1],
  "k8s-audit-list-pods": ["k8s-audit", 0],
  "k8s-audit-nodes-proxy-exec": ["k8s-audit", 1],
  "tetragon-benign-node": ["tetragon", 1],
  "tetragon-curl-localhost": ["tetragon", 1],
  "tetragon-curl-tmp": ["tetragon", 1],
  "tetragon-host-curl": ["tetragon", 1],
  "tetragon-process-exit": ["tetragon", 0],
  "tetragon-wget-pipe-sh": ["tetragon", 1],
};

describe("source registry", () => {
  it("has one parser per format", () => {
    expect(PARSERS.map((parser) => parser.format).sort()).toEqual([...SOURCE_FORMATS].sort());
  });

  it("has an expected outcome for every fixture", () => {
    expect(fixtureNames()).toEqual(Object.keys(OUTCOMES).sort());
  });

  it.each(Object.entries(OUTCOMES))("recognizes %s", (name, [format, count]) => {
    // Act
    const outcome = parseMessage(loadMessage(name), ctx);

    // Assess
    expect(outcome.kind).toBe("events");
    if (outcome.kind !== "events") return;
    expect(outcome.format).toBe(format);
    expect(outcome.events).toHaveLength(count);
    for (const event of outcome.events) expect(event.source.format).toBe(format);
  });

  it.each([
    ["an application line", "2026-03-20T12:00:05.123Z INFO orders-api listening on :8000"],
    ["a Lambda START line", "START RequestId: 7f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b Version: $LATEST"],
    ["a Lambda END line", "END RequestId: 7f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b"],
    [
      "a Lambda REPORT line",
      "REPORT RequestId: 7f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b\tDuration: 12.40 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 81 MB",
    ],
    ["other JSON", '{"level":"info","msg":"request served","path":"/healthz","status":200}'],
    ["an empty message", ""],
    ["a pretty-printed JSON fragment", "  }"],
  ])("leaves %s unrecognized", (_label, message) => {
    expect(parseMessage(message, ctx)).toEqual({ kind: "unrecognized" });
  });

  it.each([
    ["a truncated Tetragon event", loadMessage("tetragon-curl-tmp").slice(0, 400), "tetragon"],
    ["a truncated Falco alert", loadMessage("falco-nc-reverse-shell").slice(0, 900), "falco"],
    ["a truncated audit event", loadMessage("k8s-audit-exec-imds-started").slice(0, 200), "k8s-audit"],
    [
      "a truncated CloudTrail record",
      loadMessage("cloudtrail-ecs-exec-nc").slice(0, 900),
      "cloudtrail-ecs-exec",
    ],
    ["a truncated Datadog event", loadMessage("datadog-busybox-wget").slice(0, 900), "datadog"],
  ])("reports %s as malformed", (_label, message, format) => {
    expect(parseMessage(message, ctx)).toEqual({ kind: "malformed", format });
  });

  it.each([
    ["a Fluent Bit or Docker record", (m: string) => JSON.stringify({ log: `${m}\n`, stream: "stdout" })],
    ["a CRI line", (m: string) => `2026-03-15T22:11:07.402113Z stdout F ${m}`],
    [
      "a CRI line inside a Fluent Bit record",
      (m: string) => JSON.stringify({ log: `2026-03-15T22:11:07.402113Z stderr F ${m}`, stream: "stderr" }),
    ],
    ["a shipper's message field", (m: string) => JSON.stringify({ message: m, "@timestamp": 1773630765118 })],
  ])("reads every fixture the same when a log shipper wrapped it in %s", (_label, wrap) => {
    for (const name of fixtureNames()) {
      expect(parseMessage(wrap(loadMessage(name)), ctx), name).toEqual(parseMessage(loadMessage(name), ctx));
    }
  });

  it.each([
    ["an application line in a Fluent Bit record", '{"log":"GET /health 200\\n","stream":"stdout"}'],
    ["a CRI application line", "2026-03-15T22:11:07.402113Z stdout F GET /health 200"],
    ["a record whose log is not a string", '{"log":["{}"],"message":7,"stream":"stdout"}'],
  ])("leaves %s unrecognized", (_label, message) => {
    expect(parseMessage(message, ctx)).toEqual({ kind: "unrecognized" });
  });

  it("tries the next sniffing parser when the first returns null", () => {
    // Prepare: a Tetragon event whose arguments quote Falco's marker, so Falco sniffs it first.
    const fixture = loadFixture("tetragon-curl-tmp");
    const exec = fixture.process_exec as { process: Record<string, unknown> };
    exec.process.arguments = "-d '{\"output_fields\":{}}' http://198.51.100.23/";

    // Act
    const outcome = parseMessage(JSON.stringify(fixture), ctx);

    // Assess
    expect(outcome).toMatchObject({ kind: "events", format: "tetragon" });
  });

  it("reports the first sniffing format when every sniffing parser fails", () => {
    const message = '{"output_fields": 1, "process_exec": 2}';
    expect(parseMessage(message, ctx)).toEqual({ kind: "malformed", format: "falco" });
  });

  it("survives a non-string message", () => {
    expect(parseMessage(undefined as unknown as string, ctx)).toEqual({ kind: "unrecognized" });
  });
});
