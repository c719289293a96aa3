import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LogBatch } from "../../src/model.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "shipped");

/**
 * Log events as a shipper delivers them to CloudWatch Logs, one per line, after a `#` header saying
 * where the shape comes from and, in `# group:` / `# stream:` lines, the log group and stream.
 */
export interface ShippedFixture {
  provenance: string[];
  logGroup: string;
  logStream: string;
  lines: string[];
}

/** Names of every shipped fixture, e.g. "fluent-bit-merged-falco". */
export function shippedFixtureNames(): string[] {
  return readdirSync(DIR)
    .filter((file) => file.endsWith(".txt"))
    .map((file) => file.slice(0, -".txt".length))
    .sort();
}

export function loadShippedFixture(name: string): ShippedFixture {
  const fixture: ShippedFixture = { provenance: [], logGroup: "", logStream: "", lines: [] };
  for (const line of readFileSync(join(DIR, `${name}.txt`), "utf8").split("\n")) {
    if (line.startsWith("# group: ")) fixture.logGroup = line.slice("# group: ".length);
    else if (line.startsWith("# stream: ")) fixture.logStream = line.slice("# stream: ".length);
    else if (line.startsWith("#")) fixture.provenance.push(line.replace(/^# ?/, ""));
    else if (line.length > 0) fixture.lines.push(line);
  }
  return fixture;
}

/** The fixture as one delivered batch. */
export function shippedBatch(fixture: ShippedFixture): LogBatch {
  return {
    owner: "123456789012",
    logGroup: fixture.logGroup,
    logStream: fixture.logStream,
    subscriptionFilters: ["netutil-detector"],
    logEvents: fixture.lines.map((message, i) => ({
      id: `3820173645812240918652437504332908123193014882034877${String(i).padStart(4, "0")}`,
      timestamp: Date.UTC(2026, 2, 20, 12, 0, i),
      message,
    })),
  };
}
