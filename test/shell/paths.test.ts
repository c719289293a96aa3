import { describe, expect, it } from "vitest";
import { resolvePath } from "../../src/shell/index.js";

describe("resolvePath", () => {
  it.each([
    ["/app", "/tmp/x", "/tmp/x"],
    ["/app", "x", "/app/x"],
    ["/tmp", "./a/../b", "/tmp/b"],
    [undefined, "/usr/../tmp//x", "/tmp/x"],
    [undefined, "x", undefined],
    ["/app", "~/x", "~/x"],
    ["~", "x", "~/x"],
    ["/", "..", "/"],
  ])("resolves %j + %j to %j", (cwd, path, expected) => {
    expect(resolvePath(cwd, path)).toBe(expected);
  });
});
