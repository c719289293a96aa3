import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../../src");

/** Every module specifier a file imports or re-exports from, type-only ones included. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found = text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gms);
  return [...found].map((m) => (m[1] ?? m[2])!);
}

function sources(dir: string): string[] {
  return readdirSync(join(SRC, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(SRC, dir, name));
}

describe("floors", () => {
  it("src/shell is a ground floor: it imports nothing but itself and Node", () => {
    const files = sources("shell");
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      for (const spec of imports(file)) {
        expect([file, spec.startsWith("./") || spec.startsWith("node:")]).toEqual([file, true]);
      }
    }
  });

  it("sources may use the shell reader but never detection", () => {
    for (const file of sources("sources")) {
      for (const spec of imports(file))
        expect([file, spec]).not.toEqual([file, expect.stringMatching(/detection/)]);
    }
  });

  it("finds the imports it checks", () => {
    expect(imports(join(SRC, "shell/script.ts"))).toContain("./builder.js");
    expect(imports(join(SRC, "sources/falco.ts"))).toContain("../shell/index.js");
  });
});
