import { describe, expect, it } from "vitest";
import { mentionsNetworkUtility } from "../../src/detection/prefilter.js";
import { ALWAYS_PARSE, PARSERS } from "../../src/sources/index.js";

// The prefilter knows no format: what must always be parsed is what the parsers declare.
describe("prefilter markers declared by the source parsers", () => {
  it("collects every parser's markers, once each", () => {
    const declared = new Set(PARSERS.flatMap((parser) => parser.alwaysParse));
    expect([...ALWAYS_PARSE].sort()).toEqual([...declared].sort());
    expect(ALWAYS_PARSE).toEqual(expect.arrayContaining(["/exec", "ExecuteCommand"]));
  });

  it.each(PARSERS.flatMap((parser) => parser.alwaysParse.map((marker) => [parser.format, marker])))(
    "lets through a message holding %s's marker %s and no utility name",
    (_format, marker) => {
      const message = JSON.stringify({ note: `x${marker}y`, requestURI: "c%75rl" });
      expect(mentionsNetworkUtility(message)).toBe(true);
      expect(mentionsNetworkUtility(JSON.stringify({ note: "xy", requestURI: "c%75rl" }))).toBe(false);
    },
  );
});
