import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lookupUtility, UTILITIES } from "../../src/detection/catalogue.js";
import { mentionsNetworkUtility } from "../../src/detection/prefilter.js";
import { ENTRIES, FAMILIES, familyOf, specFor } from "../../src/detection/utilities/index.js";
import { ROOT } from "../support/cli.js";

const NAMES = ENTRIES.map(({ entry }) => entry.name);

/** The README's catalogue table (`| category | utilities |`): category words to the names listed. */
function readmeCatalogue(): Map<string, string[]> {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n");
  const start = lines.indexOf("| category | utilities |");
  expect(start, "the README's catalogue table").toBeGreaterThan(-1);
  const out = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const [category, names] = line
      .slice(1, -1)
      .split("|")
      .map((cell) => cell.trim());
    out.set(category!, names!.split(", "));
  }
  return out;
}

// The registry is the one declaration: the catalogue, the option tables and the prefilter's names
// are derived from it, and this holds them to it (README "Adding a utility").
describe("the utilities registry", () => {
  it("declares every name once, in one family", () => {
    expect(new Set(NAMES).size).toBe(NAMES.length);
    for (const family of FAMILIES) {
      for (const entry of family.utilities) expect(familyOf(entry.name), entry.name).toBe(family);
    }
  });

  it("is the catalogue: the same names with the same categories", () => {
    expect([...UTILITIES.keys()].sort()).toEqual([...NAMES].sort());
    for (const { entry } of ENTRIES) {
      expect(UTILITIES.get(entry.name), entry.name).toBe(entry.category);
      expect(lookupUtility(`/usr/bin/${entry.name}`), entry.name).toEqual({
        name: entry.name,
        category: entry.category,
      });
    }
  });

  it.each(NAMES)("gives %s an option table, or says it has none", (name) => {
    const { entry } = ENTRIES.find((e) => e.entry.name === name)!;
    expect(Object.hasOwn(entry, "options"), name).toBe(true);
    expect(specFor(name)).toEqual(entry.options ?? {});
    if (entry.options !== null) expect(specFor(name)).toBe(entry.options);
  });

  it.each(NAMES)("lets a line naming %s through the prefilter", (name) => {
    // Prepare: the name as an executable path, as argv[0] of a shell payload, and as a bare word.
    const lines = [
      JSON.stringify({ process_exec: { process: { binary: `/usr/bin/${name}`, arguments: "-v x" } } }),
      JSON.stringify({ requestParameters: { command: `sh -c 'true; ${name} x'` } }),
      `${name} -v x`,
    ];
    // Act + Assess
    for (const line of lines) expect(mentionsNetworkUtility(line), line).toBe(true);
  });

  it("is the README's catalogue table, category by category", () => {
    const words: Record<string, string> = {
      download: "download",
      "remote-copy": "remote copy",
      dns: "dns",
      relay: "relay / shell",
      scanner: "scanner",
      sniffer: "sniffer",
    };
    const derived = new Map<string, string[]>();
    for (const { entry } of ENTRIES) {
      const key = words[entry.category]!;
      derived.set(key, [...(derived.get(key) ?? []), entry.name]);
    }
    expect(readmeCatalogue()).toEqual(derived);
  });
});
