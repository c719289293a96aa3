import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ExecEvent, type LogContext, SOURCE_FORMATS, type SourceParser } from "../../src/model.js";
import { cloudtrailEcsExec } from "../../src/sources/cloudtrail-ecs-exec.js";
import { datadog } from "../../src/sources/datadog.js";
import { falco } from "../../src/sources/falco.js";
import { PARSERS, parseMessage } from "../../src/sources/index.js";
import { k8sAudit } from "../../src/sources/k8s-audit.js";
import { tetragon } from "../../src/sources/tetragon.js";
import { context, fixtureNames, loadFixture } from "./fixtures.js";

const RUNS = 300;
const PLATFORMS = ["ecs", "eks", "kubernetes", "docker", "unknown"];
const ctx = context();

const PARSER_BY_PREFIX: [string, SourceParser][] = [
  ["tetragon-", tetragon],
  ["falco-", falco],
  ["datadog-", datadog],
  ["k8s-audit-", k8sAudit],
  ["cloudtrail-", cloudtrailEcsExec],
];

function parserFor(fixture: string): SourceParser {
  const found = PARSER_BY_PREFIX.find(([prefix]) => fixture.startsWith(prefix));
  if (found === undefined) throw new Error(`no parser for fixture ${fixture}`);
  return found[1];
}

const isStringArray = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === "string");
const optionalString = (value: unknown): boolean => value === undefined || typeof value === "string";

/** Every invariant downstream code relies on, checked on one event. */
function expectWellFormed(event: ExecEvent): void {
  expect(typeof event.process.name).toBe("string");
  expect(event.process.name.length).toBeGreaterThan(0);
  expect(optionalString(event.process.path)).toBe(true);
  expect(event.process.args === undefined || isStringArray(event.process.args)).toBe(true);
  expect(event.process.pid === undefined || Number.isFinite(event.process.pid)).toBe(true);
  expect(optionalString(event.process.user) && optionalString(event.process.cwd)).toBe(true);
  expect(Array.isArray(event.ancestors)).toBe(true);
  for (const ancestor of event.ancestors) {
    expect(typeof ancestor).toBe("object");
    expect(optionalString(ancestor.name) && optionalString(ancestor.path)).toBe(true);
    expect(ancestor.args === undefined || isStringArray(ancestor.args)).toBe(true);
  }
  const { container, workload } = event;
  expect(
    optionalString(container.id) && optionalString(container.name) && optionalString(container.image),
  ).toBe(true);
  expect(PLATFORMS).toContain(workload.platform);
  for (const key of ["cluster", "namespace", "pod", "task", "node"] as const) {
    expect(optionalString(workload[key])).toBe(true);
  }
  expect([true, false, "unknown"]).toContain(event.inContainer);
  expect(typeof event.viaExecSession).toBe("boolean");
  expect(new Date(event.time).toISOString()).toBe(event.time);
  expect(SOURCE_FORMATS).toContain(event.source.format);
  expect(optionalString(event.sessionKey)).toBe(true);
  if (event.actor !== undefined) {
    expect(optionalString(event.actor.user) && optionalString(event.actor.userAgent)).toBe(true);
    expect(event.actor.sourceIPs === undefined || isStringArray(event.actor.sourceIPs)).toBe(true);
  }
  // Plain data: what the signal stage serializes is what it got.
  expect(JSON.parse(JSON.stringify(event))).toEqual(event);
}

function expectParserResult(result: ExecEvent[] | null): void {
  if (result === null) return;
  expect(Array.isArray(result)).toBe(true);
  for (const event of result) expectWellFormed(event);
}

function expectOutcome(message: string, context: LogContext): void {
  const outcome = parseMessage(message, context);
  expect(["events", "unrecognized", "malformed"]).toContain(outcome.kind);
  if (outcome.kind === "events") for (const event of outcome.events) expectWellFormed(event);
}

/** Paths to every node of a JSON value, root excluded. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      out.push([...prefix, index]);
      pathsOf(item, [...prefix, index], out);
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push([...prefix, key]);
      pathsOf(item, [...prefix, key], out);
    }
  }
  return out;
}

type Mutation = { at: number; op: "delete" } | { at: number; op: "set"; value: unknown };

function mutate(root: Record<string, unknown>, mutation: Mutation): void {
  const paths = pathsOf(root);
  if (paths.length === 0) return;
  const path = paths[mutation.at % paths.length] as (string | number)[];
  let parent: unknown = root;
  for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[step];
  const key = path[path.length - 1] as string | number;
  const container = parent as Record<string | number, unknown>;
  if (mutation.op === "delete") {
    if (Array.isArray(container)) container.splice(key as number, 1);
    else delete container[key];
  } else container[key] = mutation.value;
}

const HUGE = `${"A".repeat(40_000)} "${" x".repeat(20_000)}' \\`;
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.constant(""),
  fc.constant("<NA>"),
  fc.constant(HUGE),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.array(fc.string(), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ at: fc.nat(), op: fc.constant("delete" as const) }),
  fc.record({ at: fc.nat(), op: fc.constant("set" as const), value: wrongValue }),
);
const anyContext: fc.Arbitrary<LogContext> = fc.record({
  logGroup: fc.oneof(fc.constant("/aws/eks/prod-eks/cluster"), fc.constant("/aws/eks/"), fc.string()),
  logStream: fc.string(),
  owner: fc.string(),
  eventId: fc.string(),
  timestamp: fc.oneof(fc.integer(), fc.double(), fc.constant(Date.UTC(2026, 2, 20))),
});

describe("source parsers never throw", () => {
  it.each(PARSERS.map((parser) => [parser.format, parser] as const))(
    "%s: arbitrary strings give null, [] or well-formed events",
    (_format, parser) => {
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (text) => {
          expect(typeof parser.sniff(text)).toBe("boolean");
          expectParserResult(parser.parse(text, ctx));
        }),
        { numRuns: RUNS },
      );
    },
  );

  it.each(PARSERS.map((parser) => [parser.format, parser] as const))(
    "%s: arbitrary JSON values give null, [] or well-formed events",
    (_format, parser) => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 4 }), anyContext, (value, context) => {
          expectParserResult(parser.parse(JSON.stringify(value) ?? "null", context));
        }),
        { numRuns: RUNS },
      );
    },
  );

  it.each(fixtureNames())("%s: mutated (wrong types, deletions, huge strings) stays well-formed", (name) => {
    const parser = parserFor(name);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), anyContext, (mutations, context) => {
        // Prepare
        const fixture = loadFixture(name);
        for (const each of mutations) mutate(fixture, each);
        const message = JSON.stringify(fixture);

        // Act + assess
        expectParserResult(parser.parse(message, context));
        expectOutcome(message, context);
      }),
      { numRuns: 60 },
    );
  });

  it("parseMessage: arbitrary strings and JSON never throw", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 4 })),
        anyContext,
        (text, context) => {
          expectOutcome(text, context);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("parseMessage: fixture texts cut or spliced anywhere never throw", () => {
    const texts = fixtureNames().map((name) => JSON.stringify(loadFixture(name)));
    fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.nat(),
        fc.nat(),
        fc.string({ maxLength: 20 }),
        (text, a, b, insert) => {
          const start = a % (text.length + 1);
          const end = start + (b % 200);
          expectOutcome(text.slice(0, start) + insert + text.slice(end), ctx);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("1 MB messages", () => {
  const MB = 1024 * 1024;
  const words = (count: number): string =>
    Array.from({ length: count }, (_, i) => (i % 7 === 0 ? `"quoted arg ${i}"` : `arg${i}`)).join(" ");

  function build(name: string, enlarge: (fixture: Record<string, unknown>) => void): string {
    const fixture = loadFixture(name);
    enlarge(fixture);
    return JSON.stringify(fixture);
  }

  const cases: [string, string][] = [
    [
      "tetragon",
      build("tetragon-curl-tmp", (f) => {
        (f.process_exec as { process: Record<string, unknown> }).process.arguments = words(90_000);
      }),
    ],
    [
      "falco",
      build("falco-nc-reverse-shell", (f) => {
        (f.output_fields as Record<string, unknown>)["proc.cmdline"] = `nc ${words(90_000)}`;
      }),
    ],
    [
      "datadog",
      build("datadog-busybox-wget", (f) => {
        (f.process as Record<string, unknown>).args = Array.from({ length: 110_000 }, (_, i) => `a${i}`);
      }),
    ],
    [
      "k8s-audit",
      build("k8s-audit-exec-imds-started", (f) => {
        f.requestURI = `/api/v1/namespaces/a/pods/p/exec?${"command=x%20y&".repeat(80_000)}container=c`;
      }),
    ],
    [
      "cloudtrail-ecs-exec",
      build("cloudtrail-ecs-exec-nc", (f) => {
        (f.requestParameters as Record<string, unknown>).command =
          `/bin/sh -c '${"curl http://x; ".repeat(70_000)}'`;
      }),
    ],
  ];

  it.each(cases)("%s: a 1 MB event parses within bounds", (format, message) => {
    // Prepare
    expect(message.length).toBeGreaterThan(MB * 0.9);

    // Act
    const outcome = parseMessage(message, ctx);

    // Assess
    expect(outcome).toMatchObject({ kind: "events", format });
    if (outcome.kind === "events") {
      expect(outcome.events).toHaveLength(1);
      expect((outcome.events[0]?.process.args ?? []).length).toBeGreaterThan(0);
    }
  });
});
