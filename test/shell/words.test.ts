import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitShellWords } from "../../src/shell/index.js";

// The cases of the former `tokenize` (detection's copy of this splitter), held to the one that remains.
describe("splitShellWords", () => {
  it.each([
    ["curl -s http://x", ["curl", "-s", "http://x"]],
    [`-c "curl x | sh"`, ["-c", "curl x | sh"]],
    [`'a b' "c \\"d\\"" e\\ f`, ["a b", 'c "d"', "e f"]],
    [`c''url`, ["curl"]],
    [`"" x`, ["", "x"]],
    [`"unterminated x`, ["unterminated x"]],
    [`'unterminated`, ["unterminated"]],
    ["  spaced\t\tout \n ", ["spaced", "out"]],
    [`"$(curl "http://x")"`, ["$(curl http://x)"]],
    ["trailing\\", ["trailing\\"]],
  ])("splits %j", (command, words) => {
    expect(splitShellWords(command)).toEqual(words);
  });

  it("never throws and returns strings for any input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: "binary" }), (command) => {
        const words = splitShellWords(command);
        expect(words.every((w) => typeof w === "string")).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("returns [] for a non-string", () => {
    expect(splitShellWords(null as unknown as string)).toEqual([]);
  });
});
