/**
 * The parse stage's fast paths (issue 11) against the implementations they replace, kept here
 * verbatim as references: the same results on generated inputs, byte for byte.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compact, isoTime, splitTetragonArguments } from "../../src/sources/fields.js";

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
