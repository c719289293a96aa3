// The published allowlist JSON Schema (schema/allowlist.schema.json, for editors) says what the parser
// accepts: the same fields, limits and severities, and the same verdict on every entry, hand-picked and
// generated. An editor that shows no squiggle must mean the detector starts.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_SEVERITY,
  MATCH_FIELDS,
  MAX_COMMENT_LENGTH,
  MAX_ENTRIES,
  parseAllowlist,
} from "../../src/detection/allowlist.js";
import { MAX_PATTERN_LENGTH } from "../../src/detection/glob.js";
import { SEVERITIES } from "../../src/model.js";

const ROOT = resolve(new URL("../..", import.meta.url).pathname);
const SCHEMA = JSON.parse(readFileSync(resolve(ROOT, "schema/allowlist.schema.json"), "utf8"));
// strictRequired would object to `required` inside anyOf alternatives, which is how draft-07 says
// "at least one of these fields"; every other strict check stays on.
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(SCHEMA);

function parserAccepts(value: unknown): boolean {
  try {
    parseAllowlist(JSON.stringify(value), "test");
    return true;
  } catch {
    return false;
  }
}

describe("the allowlist JSON Schema", () => {
  it("declares the parser's fields, limits and severities", () => {
    const entry = SCHEMA.definitions.entry;
    expect(Object.keys(entry.properties).sort()).toEqual([...MATCH_FIELDS, "maxSeverity", "comment"].sort());
    expect(entry.anyOf.map((alt: { required: string[] }) => alt.required[0])).toEqual([...MATCH_FIELDS]);
    expect(SCHEMA.maxItems).toBe(MAX_ENTRIES);
    expect(SCHEMA.definitions.pattern.maxLength).toBe(MAX_PATTERN_LENGTH);
    expect(entry.properties.comment.maxLength).toBe(MAX_COMMENT_LENGTH);
    expect(entry.properties.maxSeverity.enum).toEqual([...SEVERITIES]);
    expect(entry.properties.maxSeverity.default).toBe(DEFAULT_MAX_SEVERITY);
  });

  it("accepts the README's example allowlist", () => {
    const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Allowlist"));
    const example = /```json\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const value = JSON.parse(example);
    expect(value.length).toBeGreaterThan(0);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    expect(parserAccepts(value)).toBe(true);
  });

  it.each([
    ["an empty list", [], true],
    ["one field", [{ utility: "curl" }], true],
    [
      "every field",
      [{ ...Object.fromEntries(MATCH_FIELDS.map((f) => [f, "x*"])), maxSeverity: "high", comment: "" }],
      true,
    ],
    ["a pattern at the length limit", [{ image: "a".repeat(MAX_PATTERN_LENGTH) }], true],
    ["a pattern over the length limit", [{ image: "a".repeat(MAX_PATTERN_LENGTH + 1) }], false],
    ["a comment over its limit", [{ utility: "nc", comment: "c".repeat(MAX_COMMENT_LENGTH + 1) }], false],
    ["no field to match on", [{ comment: "matches everything" }], false],
    ["only maxSeverity", [{ maxSeverity: "low" }], false],
    ["an unknown field", [{ utility: "curl", user: "root" }], false],
    ["a misspelt field", [{ utilty: "curl" }], false],
    ["an empty value", [{ utility: "" }], false],
    ["a number", [{ utility: 1 }], false],
    ["an unknown severity", [{ utility: "curl", maxSeverity: "severe" }], false],
    ["args with a doubled space", [{ args: "-fsS  http://a/" }], false],
    ["args with a leading space", [{ args: " -fsS" }], false],
    ["args with a trailing space", [{ args: "-fsS " }], false],
    ["not a list", { utility: "curl" }, false],
    ["an entry that is a list", [["utility", "curl"]], false],
    ["an entry that is null", [null], false],
    ["too many entries", Array.from({ length: MAX_ENTRIES + 1 }, () => ({ utility: "curl" })), false],
  ])("agrees with the parser on %s", (_name, value, valid) => {
    expect(validate(value)).toBe(valid);
    expect(parserAccepts(value)).toBe(valid);
  });

  it("agrees with the parser on generated entries", () => {
    const key = fc.constantFrom(...MATCH_FIELDS, "maxSeverity", "comment", "user", "Utility");
    const text = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom("", " ", "a b", "a  b", " a", "a ", ...SEVERITIES),
      fc.integer({ min: 500, max: 1100 }).map((n) => "x".repeat(n)),
    );
    const value = fc.oneof(text, fc.integer(), fc.constant(null), fc.boolean());
    const entry = fc.oneof(fc.dictionary(key, value, { maxKeys: 5 }), fc.constant(null), fc.constant([]));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 3 }), (list) => {
        expect(validate(list)).toBe(parserAccepts(list));
      }),
      { numRuns: 2000 },
    );
  });
});
