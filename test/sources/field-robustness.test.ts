import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mentionsNetworkUtility } from "../../src/detection/prefilter.js";
import { evaluate } from "../../src/detection/rule.js";
import type { ExecEvent } from "../../src/model.js";
import { parseMessage } from "../../src/sources/index.js";
import { dockerWrapped, fieldFixtureNames, loadFieldFixture } from "./field-fixtures.js";
import { context } from "./fixtures.js";

const ctx = context();
const LINES = fieldFixtureNames().flatMap((name) => loadFieldFixture(name).lines.map((line) => [name, line]));

/** The optional workload fields the sources fill: plain strings, bounded. */
function expectEnrichmentWellFormed(event: ExecEvent): void {
  const { labels, owner } = event.workload;
  if (labels !== undefined) {
    expect(Object.keys(labels).length).toBeLessThanOrEqual(64);
    for (const [key, value] of Object.entries(labels)) {
      expect(typeof key === "string" && typeof value === "string").toBe(true);
    }
  }
  if (owner !== undefined)
    expect(typeof owner.kind === "string" && typeof owner.name === "string").toBe(true);
  expect(new Date(event.time).toISOString()).toBe(event.time);
  expect(event.process.name.length).toBeGreaterThan(0);
}

/** Sets `path` (a list of keys) in a JSON value to `value`, creating nothing that was not an object. */
function setAt(root: unknown, path: string[], value: unknown): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    if (typeof node !== "object" || node === null) return;
    const keys = Object.keys(node);
    if (keys.length === 0) return;
    node = (node as Record<string, unknown>)[keys[path[i]!.length % keys.length]!];
  }
  if (typeof node !== "object" || node === null || Array.isArray(node)) return;
  const keys = Object.keys(node);
  const key = keys.length > 0 ? keys[path.at(-1)!.length % keys.length]! : path.at(-1)!;
  (node as Record<string, unknown>)[key] = value;
}

describe("field fixtures under hostile mutation", () => {
  it("never throw and stay well-formed when any field is replaced by arbitrary JSON", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LINES),
        fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant("<NA>"), fc.constant("host")),
        ([, line], path, value) => {
          const root = JSON.parse(line!) as unknown;
          setAt(root, path, value);
          const outcome = parseMessage(JSON.stringify(root), ctx);
          expect(["events", "unrecognized", "malformed"]).toContain(outcome.kind);
          if (outcome.kind === "events")
            for (const event of outcome.events) expectEnrichmentWellFormed(event);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("never throw when cut or spliced anywhere", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LINES),
        fc.nat(),
        fc.nat(),
        fc.string({ maxLength: 20 }),
        ([, line], a, b, s) => {
          const start = a % (line!.length + 1);
          const outcome = parseMessage(line!.slice(0, start) + s + line!.slice(start + (b % 200)), ctx);
          expect(["events", "unrecognized", "malformed"]).toContain(outcome.kind);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("prefilter soundness over the field fixtures", () => {
  it.each(
    LINES.flatMap(([name, line], i) => [
      [`${name} #${i}`, "raw", line!],
      [`${name} #${i}`, "docker json-file", dockerWrapped(line!)],
      [`${name} #${i}`, "CRI", `2026-03-15T22:11:07.402113Z stdout F ${line}`],
    ]),
  )("%s (%s) is let through whenever the rule identifies a utility in it", (_name, _how, message) => {
    // Prepare
    const outcome = parseMessage(message, ctx);
    const events = outcome.kind === "events" ? outcome.events : [];
    // Act
    const identified = events.some((event) => evaluate(event).kind !== "none");
    // Assess
    if (identified) expect(mentionsNetworkUtility(message)).toBe(true);
  });
});
