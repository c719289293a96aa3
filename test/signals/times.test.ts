import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TimeParser } from "../../src/signals/times.js";

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
/** Times of the ISO form with any digits in every field (invalid days, hours, minutes included), and near misses. */
const isoLike = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, "0")),
    two(14),
    two(33),
    two(25),
    two(61),
    two(61),
    fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, "0")),
  )
  .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
const anyTime = fc.oneof(
  isoLike,
  isoLike.map((t) => t.replace("Z", "+00:00")),
  isoLike.map((t) => `${t.slice(0, 23)}456789Z`),
  isoLike.map((t) => t.replace(".", ",")),
  fc.string({ maxLength: 30 }),
  fc.constantFrom("2026-01-01T24:00:00.000Z", "2026-01-01T24:00:00.001Z", "", "2026-02-30T10:00:00.999Z"),
);

describe("TimeParser", () => {
  it("is Date.parse, whatever the times and their order", () => {
    fc.assert(
      fc.property(fc.array(anyTime, { maxLength: 40 }), (times) => {
        const parser = new TimeParser();
        for (const time of times) expect(parser.parse(time)).toBe(Date.parse(time));
      }),
      { numRuns: 2000 },
    );
  });

  it("is Date.parse for a batch logged within a few seconds", () => {
    const parser = new TimeParser();
    for (let i = 0; i < 5000; i++) {
      const time = new Date(Date.UTC(2026, 10, 28, 23, 59, 58) + i).toISOString();
      expect(parser.parse(time)).toBe(Date.parse(time));
    }
  });
});
