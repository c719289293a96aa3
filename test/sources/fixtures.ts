import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import type { ExecEvent, LogContext, SourceParser } from "../../src/model.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "messages");
const cache = new Map<string, unknown>();

/** Names of every message fixture, e.g. "tetragon-curl-tmp". */
export function fixtureNames(): string[] {
  return readdirSync(DIR)
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .sort();
}

/** A fresh copy of a fixture's JSON value: mutate freely. */
export function loadFixture(name: string): Record<string, unknown> {
  let value = cache.get(name);
  if (value === undefined) {
    value = JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8"));
    cache.set(name, value);
  }
  return structuredClone(value) as Record<string, unknown>;
}

/** The fixture as the one-line log message a producer would write. */
export function loadMessage(name: string): string {
  return JSON.stringify(loadFixture(name));
}

/** A CloudWatch Logs context; EKS control-plane group by default so audit events get a cluster. */
export function context(overrides: Partial<LogContext> = {}): LogContext {
  return {
    logGroup: "/aws/eks/prod-eks/cluster",
    logStream: "kube-apiserver-audit-6f1c2d3e4b5a69788",
    owner: "123456789012",
    eventId: "38201736458122409186524375043329081231930148820348764160",
    timestamp: Date.UTC(2026, 2, 20, 12, 0, 5),
    ...overrides,
  };
}

/** Workload log group of an ECS service, for the formats that run there. */
export const ECS_GROUP = "/ecs/orders-api";
/** Workload log group of an EKS add-on (Tetragon, Falco…) that is not the control-plane group. */
export const K8S_GROUP = "/k8s/security/tetragon";

/** One test per fixture: `parser` sniffs the fixture's message and parses it to exactly `expected[name]`. */
export function itNormalizesFixtures(
  parser: SourceParser,
  ctx: LogContext,
  expected: Record<string, ExecEvent[]>,
): void {
  it.each(Object.entries(expected))("normalizes %s", (name, events) => {
    // Prepare
    const message = loadMessage(name);

    // Act
    const result = parser.parse(message, ctx);

    // Assess
    expect(parser.sniff(message)).toBe(true);
    expect(result).toEqual(events);
  });
}
