import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseInPieces } from "../../src/ingest/pieces.js";

/** What the whole-text parse gives: the value, or that it throws. */
function whole(raw: Buffer): unknown {
  try {
    return { value: JSON.parse(raw.toString("utf8")) };
  } catch {
    return "invalid";
  }
}

/** Text that tries the splitter: quotes, escapes, brackets and commas inside strings, non-ASCII. */
const tricky = fc.string({
  unit: fc.constantFrom(...'ab"\\,[]{}:\u00e9\u2028\n\t '.split(""), "\u{1f600}", "\\u0022"),
  maxLength: 24,
});
const logEvent = fc.record(
  { id: tricky, timestamp: fc.oneof(fc.integer(), fc.double()), message: fc.oneof(tricky, fc.jsonValue()) },
  { requiredKeys: [] },
);
const space = fc.constantFrom("", " ", "\n", "\t\r\n ");

/** A payload text: header members in any order (some nested logEvents keys), then logEvents, spaced. */
const payload = fc
  .record({
    header: fc.array(
      fc.tuple(
        fc.constantFrom("messageType", "owner", "logGroup", 'x\\"logEvents', "policyLevel", "a"),
        fc.oneof(tricky, fc.jsonValue(), fc.constant({ logEvents: [1] })),
      ),
      { maxLength: 6 },
    ),
    events: fc.array(fc.oneof(logEvent, fc.jsonValue()), { maxLength: 12 }),
    gaps: fc.array(space, { minLength: 6, maxLength: 6 }),
  })
  .map(({ header, events, gaps }) => {
    const members = header.map(
      ([key, value]) => `${JSON.stringify(key).replace('\\\\\\"', '\\"')}:${JSON.stringify(value)}`,
    );
    const list = events.map((e) => JSON.stringify(e)).join(`,${gaps[0]}`);
    return `${gaps[1]}{${members.map((m) => `${m},${gaps[2]}`).join("")}"logEvents":[${gaps[3]}${list}${gaps[4]}]${gaps[5]}}${gaps[1]}`;
  });

describe("parseInPieces", () => {
  it("gives the whole-text parse for payloads of every shape, at any piece size", () => {
    fc.assert(
      fc.property(payload, fc.integer({ min: 1, max: 64 }), (text, pieceBytes) => {
        const raw = Buffer.from(text);
        const pieces = parseInPieces(raw, pieceBytes);
        const expected = whole(raw);
        if (pieces !== undefined) expect({ value: pieces }).toEqual(expected);
        else expect(pieces).toBeUndefined();
        // CloudWatch's own shape (logEvents last, nothing odd before it) always takes the fast way.
        if (expected !== "invalid" && !text.includes('\\"logEvents') && !text.includes('{"logEvents":[1]'))
          expect(pieces).toBeDefined();
      }),
      { numRuns: 3000 },
    );
  });

  it("never accepts what the whole-text parse rejects, and agrees on what it accepts (random damage)", () => {
    fc.assert(
      fc.property(
        payload,
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom(0x22, 0x5c, 0x2c, 0x5b, 0x5d, 0x7b, 0x7d, 0x20, 0x41, 0x00, 0xff),
          ),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        fc.integer({ min: 1, max: 32 }),
        (text, damage, pieceBytes) => {
          const raw = Buffer.from(text);
          for (const [at, byte] of damage) raw[at % raw.length] = byte;
          const pieces = parseInPieces(raw, pieceBytes);
          if (pieces !== undefined) expect({ value: pieces }).toEqual(whole(raw));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it.each([
    ["a trailing comma in logEvents", '{"owner":"1","logEvents":[{"id":"a"},]}'],
    ["an empty element between commas", '{"logEvents":[1,,2]}'],
    ["a member after logEvents", '{"logEvents":[],"owner":"1"}'],
    ["a second logEvents after the first", '{"logEvents":[1],"logEvents":[2]}'],
    ["logEvents nested in another member first", '{"a":{"logEvents":[1]},"logEvents":[2]}'],
    ["text after the object", '{"logEvents":[]} x'],
    ["a key that ends in logEvents", '{"x\\"logEvents":[1],"logEvents":[2]}'],
    ["a key that ends in logEvents, alone", '{"x\\"logEvents":[1]}'],
  ])("leaves %s to the whole-text parse", (_name, text) => {
    expect(parseInPieces(Buffer.from(text), 1)).toBeUndefined();
  });

  it("reads an empty and a one-piece logEvents", () => {
    expect(parseInPieces(Buffer.from('{"owner":"1","logEvents":[]}'))).toEqual({ owner: "1", logEvents: [] });
    expect(parseInPieces(Buffer.from('{"logEvents":[ {"message":"a,]}\\""} ]}'))).toEqual({
      logEvents: [{ message: 'a,]}"' }],
    });
  });
});
