import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { idHash, scanExecIds } from "../../src/sources/lineage.js";

/** The expression the scanner replaces, matched left to right as String.matchAll does. */
const EXEC_ID = /"exec_id\\?"\s*:\s*\\?"([A-Za-z0-9+/=_-]{1,256})/g;
/** The expression before keys were told apart: `parent_exec_id` values too. */
const ANY_EXEC_ID = /exec_id\\?"\s*:\s*\\?"([A-Za-z0-9+/=_-]{1,256})/g;

function byScanner(text: string, limit = Number.POSITIVE_INFINITY): number[] {
  const hashes: number[] = [];
  scanExecIds(text, {
    found(hash) {
      hashes.push(hash);
      return hashes.length < limit;
    },
  });
  return hashes;
}

function byExpression(text: string, expression = EXEC_ID): number[] {
  return [...text.matchAll(expression)].map((m) => idHash(m[1] as string, 0, (m[1] as string).length));
}

const PIECES = [
  "exec_id",
  "parent_exec_id",
  "\\",
  '"',
  ":",
  " ",
  "\t",
  "\u2028",
  "\u00a0",
  "\u200b",
  "QUJD",
  "a=",
  "-_/+",
  "x".repeat(300),
  "exec_idexec_id",
  '"exec_id',
  '\\"exec_id\\"',
  "_id",
  "xec_id",
  '"exec',
  "{",
  ",",
];

describe("scanExecIds", () => {
  it("finds the ids of Tetragon's JSON, raw and inside an escaped log string", () => {
    const raw =
      '{"process_exec":{"process":{"exec_id":"QUJD","parent_exec_id":"REVG"},"parent":{"exec_id" : "REVG"}}}';
    const escaped = JSON.stringify({ log: raw });
    // The parent_exec_id names another process: only exec_id keys are read.
    const expected = ["QUJD", "REVG"].map((id) => idHash(id, 0, id.length));
    expect(byScanner(raw)).toEqual(expected);
    expect(byScanner(escaped)).toEqual(expected);
  });

  it("matches what the regular expression matches, in order, on any text", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 40 }),
        (parts) => {
          const text = parts.join("");
          expect(byScanner(text)).toEqual(byExpression(text));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("finds every id the expression before it found under an exact exec_id key", () => {
    // Every match of the old expression whose `exec_id` has a quote before it is a key the scanner
    // reads: a message that names its own id is indexed as before.
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 40 }),
        (parts) => {
          const text = parts.join("");
          const keyed = [...text.matchAll(ANY_EXEC_ID)]
            .filter((m) => text.charCodeAt(m.index - 1) === 34)
            .map((m) => idHash(m[1] as string, 0, (m[1] as string).length));
          const found = byScanner(text);
          for (const hash of keyed) expect(found).toContain(hash);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("stops when told to", () => {
    const text = '"exec_id":"A" "exec_id":"B" "exec_id":"C"';
    expect(byScanner(text, 2)).toEqual(["A", "B"].map((id) => idHash(id, 0, 1)));
  });
});
