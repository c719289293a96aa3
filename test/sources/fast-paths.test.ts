/**
 * The parse stage's fast paths (issue 11) against the implementations they replace, kept here
 * verbatim as references: the same results on generated inputs, byte for byte.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LogContext, SourceFormat } from "../../src/model.js";
import { compact, isoTime, shared, splitTetragonArguments } from "../../src/sources/fields.js";
import { PARSERS, type ParseOutcome, parseMessage } from "../../src/sources/index.js";
import { context, fixtureNames, K8S_GROUP, loadFixture } from "./fixtures.js";

// ---- References: the code as it was before the fast paths -------------------------------------

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,12})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

function referenceIsoTime(fallbackMs: number, ...candidates: unknown[]): string {
  for (const candidate of candidates) {
    const parsed = referenceParseTime(candidate);
    if (parsed !== undefined) return parsed;
  }
  const fallback = new Date(Number.isFinite(fallbackMs) ? fallbackMs : 0);
  return Number.isNaN(fallback.getTime()) ? new Date(0).toISOString() : fallback.toISOString();
}

function referenceParseTime(value: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof value === "string") {
    if (value.length > 40 || !ISO_TIME.test(value)) return undefined;
    ms = Date.parse(value.replace(" ", "T"));
  } else if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    if (value >= 1e17) ms = value / 1e6;
    else if (value >= 1e14) ms = value / 1e3;
    else if (value >= 1e11) ms = value;
    else ms = value * 1e3;
  }
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 2000 || year > 2200) return undefined;
  return date.toISOString();
}

function referenceCompact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const key in source) {
    const field = source[key];
    if (field !== undefined) out[key] = field;
  }
  return out as T;
}

/** parseLine before the Tetragon dispatch: every parser in order, by its sniff. */
function referenceLine(message: string, ctx: LogContext): ParseOutcome {
  let firstSniffed: SourceFormat | undefined;
  for (const parser of PARSERS) {
    if (!parser.sniff(message)) continue;
    firstSniffed ??= parser.format;
    const events = parser.parse(message, ctx);
    if (events !== null) return { kind: "events", format: parser.format, events };
  }
  if (firstSniffed === undefined || !message.trimStart().startsWith("{")) return { kind: "unrecognized" };
  return { kind: "malformed", format: firstSniffed };
}

// ---- Generators --------------------------------------------------------------------------------

const pad = (value: number, width: number) => String(value).padStart(width, "0");

/** RFC 3339 shapes, valid and not: odd fractions, offsets, out-of-range fields, lower case, spaces. */
const timeText = fc
  .record({
    year: fc.oneof(fc.integer({ min: 1999, max: 2201 }), fc.integer({ min: 0, max: 9999 })),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 61 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,14}$/), { nil: undefined }),
    separator: fc.constantFrom("T", "T", "T", " ", "t", "x"),
    zone: fc.constantFrom("Z", "Z", "Z", "z", "+00:00", "-05:30", "+0200", "", "ZZ"),
    noSeconds: fc.boolean(),
  })
  .map(
    (t) =>
      `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}${t.separator}${pad(t.hour, 2)}:${pad(t.minute, 2)}` +
      `${t.noSeconds ? "" : `:${pad(t.second, 2)}${t.fraction !== undefined ? `.${t.fraction}` : ""}`}${t.zone}`,
  );

/** A valid time string with one character replaced: the fast path's guards. */
const mutatedTime = fc
  .tuple(
    fc.constantFrom("2026-11-28T10:15:02.118273645Z", "2024-02-29T23:59:59.999Z", "2026-11-28T10:00:00Z"),
    fc.nat(),
    fc.constantFrom(..."0123456789-:.TZtz +/a\u0660"),
  )
  .map(([text, at, c]) => {
    const i = at % text.length;
    return text.slice(0, i) + c + text.slice(i + 1);
  });

describe("isoTime's canonical UTC fast path", () => {
  it("gives the reference's result for every generated time", () => {
    fc.assert(
      fc.property(fc.oneof(timeText, mutatedTime, fc.string({ maxLength: 34 })), (text) => {
        expect(isoTime(0, text)).toBe(referenceIsoTime(0, text));
        expect(isoTime(1_800_000_000_000, 17, text, "2026-01-01T00:00:00Z")).toBe(
          referenceIsoTime(1_800_000_000_000, 17, text, "2026-01-01T00:00:00Z"),
        );
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    "2026-11-28T10:15:02.118273645Z",
    "2026-11-28T10:15:02.1Z",
    "2026-11-28T10:15:02.999999999999Z",
    "2026-11-28T10:15:02Z",
    "2024-02-29T10:15:02Z",
    "2026-02-29T10:15:02Z",
    "2026-04-31T10:15:02Z",
    "2026-11-28T24:00:00Z",
    "2026-11-28T23:59:60Z",
    "2200-12-31T23:59:59.999Z",
    "2201-01-01T00:00:00Z",
    "1999-12-31T23:59:59.999Z",
    "2026-11-28T10:15:02.Z",
    "2026-11-28T10:15:02.1234567890123Z",
    "2000-01-01T00:00:00.0001000000Z",
    "2026-11-28T10:15:02.123456789Z",
  ])("reads %s as the reference does", (text) => {
    expect(isoTime(0, text)).toBe(referenceIsoTime(0, text));
  });
});

describe("compact", () => {
  it("gives the reference's keys, order and values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.oneof(fc.constant(undefined), fc.jsonValue())), {
          maxLength: 8,
        }),
        (entries) => {
          const literal = () => Object.fromEntries(entries);
          const got = compact(literal());
          const want = referenceCompact(literal());
          expect(Object.entries(got)).toEqual(Object.entries(want));
          expect(Object.keys(got)).toEqual(Object.keys(want));
        },
      ),
    );
  });
});

describe("splitTetragonArguments", () => {
  it("returns arrays without spare capacity that equal a fresh push", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z" ]{0,30}$/), (line) => {
        const words = splitTetragonArguments(line);
        expect(Array.isArray(words)).toBe(true);
        expect(JSON.stringify(words)).toBe(JSON.stringify([...words]));
      }),
    );
  });
});

describe("shared", () => {
  it("returns the text it is given, past the table's bound and for long strings too", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.string({ minLength: 250, maxLength: 300 })), { maxLength: 50 }),
        (values) => {
          for (const value of values) expect(shared(value)).toBe(value);
        },
      ),
    );
    for (let i = 0; i < 10_000; i++) expect(shared(`v${i % 5000}`)).toBe(`v${i % 5000}`);
    expect(shared(undefined)).toBeUndefined();
  });
});

// ---- The Tetragon dispatch in parseLine ---------------------------------------------------------

const ctx = context({ logGroup: K8S_GROUP, logStream: "tetragon-export-ip-10-0-12-34" });
const TETRAGON = fixtureNames().filter((name) => name.startsWith("tetragon-"));

/** Keys that give a parser before Tetragon a say, and values they can take. */
const foreignKey = fc.constantFrom(
  "output_fields",
  "rule",
  "output",
  "kind",
  "apiVersion",
  "auditID",
  "stage",
  "requestURI",
  "eventSource",
  "eventName",
  "detail",
  "Records",
  "node_name",
  "time",
  "process_exit",
);
const foreignValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom("Event", "EventList", "audit.k8s.io/v1", "ecs.amazonaws.com", "ExecuteCommand", "x"),
  fc.constant({ "proc.name": "curl", "proc.cmdline": "curl http://x", "container.id": "abc" }),
  fc.constant({ eventSource: "ecs.amazonaws.com", eventName: "ExecuteCommand" }),
  fc.constant([{ eventSource: "ecs.amazonaws.com", eventName: "ExecuteCommand" }]),
);

describe("parseMessage's Tetragon dispatch", () => {
  it("gives the outcome every parser in order gives, for Tetragon lines with other formats' keys", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TETRAGON),
        fc.array(fc.tuple(foreignKey, foreignValue), { maxLength: 4 }),
        fc.boolean(),
        (name, extra, quoteMarkers) => {
          const root = loadFixture(name);
          for (const [key, value] of extra) root[key] = value;
          if (quoteMarkers) {
            const exec = root.process_exec as { process?: Record<string, unknown> } | undefined;
            if (exec?.process !== undefined)
              exec.process.arguments = '-d {"output_fields":1,"auditID":"x"} ExecuteCommand audit.k8s.io';
          }
          const message = JSON.stringify(root);
          const got = parseMessage(message, ctx);
          const want = referenceLine(message, ctx);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("parses exactly the lines the loop parses, broken ones included", () => {
    const lines = [
      '{"process_exec":',
      '{"process_exec":{}}',
      '{"process_exec":null,"process_exit":{}}',
      '{"process_exec":{"process":{"binary":"/bin/x"}},"output_fields":{},"rule":"r"}',
      '{"process_exec":{"process":{"binary":"/bin/x"}},"kind":"Event"}',
      '{"process_exec":{"process":{"binary":""}}}',
      '{"process_exec":[1]}',
    ];
    for (const line of lines) expect(parseMessage(line, ctx)).toEqual(referenceLine(line, ctx));
  });

  it("names each log group's own EKS cluster when groups alternate", () => {
    const message = JSON.stringify(loadFixture("tetragon-curl-tmp"));
    for (const group of [
      "/aws/containerinsights/a/application",
      "/aws/eks/b/cluster",
      K8S_GROUP,
      "/aws/eks/b/x",
    ]) {
      const outcome = parseMessage(message, context({ logGroup: group }));
      const want = referenceLine(message, context({ logGroup: group }));
      expect(outcome).toEqual(want);
    }
    const clusters = ["/aws/eks/a/cluster", "/aws/eks/b/cluster", "/aws/eks/a/cluster"].map((group) => {
      const outcome = parseMessage(message, context({ logGroup: group }));
      return outcome.kind === "events" ? outcome.events[0]?.workload.cluster : undefined;
    });
    expect(clusters).toEqual(["a", "b", "a"]);
  });

  it("is only taken for the parsers it knows to come before Tetragon", () => {
    // The dispatch's key list names what falco, k8sAudit and cloudtrailEcsExec need: a new parser
    // placed before Tetragon must be added there.
    const formats = PARSERS.map((parser) => parser.format);
    expect(formats.slice(0, formats.indexOf("tetragon"))).toEqual([
      "falco",
      "k8s-audit",
      "cloudtrail-ecs-exec",
    ]);
  });
});
