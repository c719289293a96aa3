import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "field");

/**
 * A fixture from the field: log lines exactly as a tool (or a shipper) writes them, one per line,
 * after a `#` header saying where the format comes from (repository, path, version, URL).
 */
export interface FieldFixture {
  name: string;
  provenance: string[];
  lines: string[];
}

/** Names of every field fixture, e.g. "falco-0.32-netcat-cmdline-only". */
export function fieldFixtureNames(): string[] {
  return readdirSync(DIR)
    .filter((file) => file.endsWith(".txt"))
    .map((file) => file.slice(0, -".txt".length))
    .sort();
}

/** The fixture's provenance header and its log lines (fresh strings: nothing to clone). */
export function loadFieldFixture(name: string): FieldFixture {
  const provenance: string[] = [];
  const lines: string[] = [];
  for (const line of readFileSync(join(DIR, `${name}.txt`), "utf8").split("\n")) {
    if (line.startsWith("#")) provenance.push(line.replace(/^# ?/, ""));
    else if (line.trim().length > 0) lines.push(line);
  }
  return { name, provenance, lines };
}

/** Docker json-file / Fluent Bit without Merge_Log: the line as the `log` string of a record. */
export function dockerWrapped(line: string): string {
  return JSON.stringify({ log: `${line}\n`, stream: "stdout", time: "2026-03-16T03:12:45.118204733Z" });
}
