import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globMatch, MAX_PATTERN_LENGTH, MAX_SUBJECT_LENGTH } from "../../src/detection/glob.js";

/** The reference: a regular expression built from the glob (only in tests, only from generated globs). */
function reference(pattern: string, subject: string): boolean {
  const source = [...pattern]
    .map((c) =>
      c === "*" ? "[\\s\\S]*" : c === "?" ? "[\\s\\S]" : c.replace(/[\\^$.|+()[\]{}*?/-]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`).test(subject);
}

describe("globMatch", () => {
  it.each([
    ["*", "", true],
    ["*", "anything", true],
    ["curl", "curl", true],
    ["curl", "Curl", false],
    ["c?rl", "curl", true],
    ["c?rl", "crl", false],
    ["*/curl:*", "docker.io/curlimages/curl:8.5.0", true],
    ["*health*", "-s http://localhost:8080/healthz", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "aXbY", false],
    ["[abc]", "[abc]", true],
    ["[abc]", "a", false],
    ["a.c", "abc", false],
    ["**", "x", true],
    ["", "", true],
    ["", "x", false],
  ])("%j on %j is %s", (pattern, subject, expected) => {
    expect(globMatch(pattern, subject)).toBe(expected);
  });

  it("agrees with a regular-expression reference on short random globs", () => {
    const alphabet = fc.constantFrom("a", "b", "*", "?", ".", "[", "\\");
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }).map((chars) => chars.join("")),
        fc
          .array(fc.constantFrom("a", "b", ".", "[", "\\", "*"), { maxLength: 10 })
          .map((chars) => chars.join("")),
        (pattern, subject) => {
          expect(globMatch(pattern, subject)).toBe(reference(pattern, subject));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it("finishes a pathological pattern at the length caps quickly (no exponential backtracking)", () => {
    // Prepare: "*a*a*a…*b" against "aaaa…" is the classic catastrophic case for backtracking matchers.
    const pattern = `${"*a".repeat((MAX_PATTERN_LENGTH - 1) / 2)}b`.slice(0, MAX_PATTERN_LENGTH);
    const subject = "a".repeat(MAX_SUBJECT_LENGTH);
    // Act
    const started = performance.now();
    const matched = globMatch(pattern, subject);
    const elapsed = performance.now() - started;
    // Assess: a quadratic bound at the caps (4 million steps); the generous vitest timeout is the real guard.
    expect(matched).toBe(false);
    expect(elapsed).toBeLessThan(5_000);
  });

  it("refuses over-long patterns and subjects", () => {
    expect(globMatch("*".repeat(MAX_PATTERN_LENGTH + 1), "x")).toBe(false);
    expect(globMatch("*", "x".repeat(MAX_SUBJECT_LENGTH + 1))).toBe(false);
  });
});
