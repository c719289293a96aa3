import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteScanner, MAX_TEXT } from "../../src/detection/byte-scan.js";
import { CHANNEL_TOOL_NAMES, PREFILTER_HINT, UTILITIES } from "../../src/detection/catalogue.js";
import {
  mentionsByExpressions,
  mentionsNetworkUtility,
  usesByteScanner,
} from "../../src/detection/prefilter.js";
import { decodeAwslogsEvent } from "../../src/ingest/awslogs.js";
import { MULTICALL_BINARIES } from "../../src/shell/index.js";
import { ALWAYS_PARSE } from "../../src/sources/index.js";
import { fixtureNames, loadMessage } from "../sources/fixtures.js";

// The byte scanner only points the prefilter's expressions at the places where they can start to
// match: the prefilter's answer must be exactly the expressions' own, over the whole text, for every
// text. (Their soundness against the rule is prefilter.test.ts' and prefilter-shapes.test.ts'.)

const NAMES = [...UTILITIES.keys(), ...MULTICALL_BINARIES, ...CHANNEL_TOOL_NAMES];
const BOUNDARIES = [
  " ",
  "\t",
  "\n",
  "\r",
  "\v",
  "\f",
  '"',
  "'",
  "/",
  "=",
  "(",
  "`",
  ";",
  "|",
  "&",
  "\\",
  "<",
  ">",
];
/** Pieces of the expressions' alternatives, near misses of them, JSON escapes and non-ASCII text. */
const PIECES = [
  ...BOUNDARIES,
  ...PREFILTER_HINT.addresses.flatMap((address) => [`${address}:`, address, `${address}_id`]),
  ...ALWAYS_PARSE,
  "memfd:",
  "memfd",
  "dev/tcp/",
  "dev\\/udp\\/",
  "dev/",
  "devices",
  "-fsSL",
  "-sSL",
  "-#sSL",
  "-qO-",
  "-O-",
  "-qO",
  "-e",
  "-c",
  "-lvnp",
  "-la",
  "-",
  "--port",
  "/bin/sh",
  "bash",
  "\\n",
  "\\t",
  "\\r",
  "\\u0026",
  "\\u003c",
  "\\\\",
  '\\"',
  ":",
  '":',
  '" :',
  ",",
  "{",
  "}",
  "exec_id",
  "clone",
  "cloud",
  "hostname",
  "ncx",
  "\u00a0",
  "\u2028",
  "é",
  "\u{1F600}",
];

const text = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PIECES) },
      { weight: 3, arbitrary: fc.constantFrom(...NAMES) },
      { weight: 2, arbitrary: fc.string({ maxLength: 4 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 3, unit: "binary" }) },
    ),
    { maxLength: 14 },
  )
  .map((parts) => parts.join(""));

function expectSameAnswer(message: string): void {
  expect(mentionsNetworkUtility(message), JSON.stringify(message)).toBe(mentionsByExpressions(message));
}

describe("the prefilter's byte scanner", () => {
  it("is in use where WebAssembly runs", () => {
    expect(usesByteScanner()).toBe(true);
  });

  it("gives the expressions' own answer for generated texts", () => {
    fc.assert(
      fc.property(text, (message) => expectSameAnswer(message)),
      { numRuns: 20_000 },
    );
  });

  it("gives the expressions' own answer for a name after every boundary character, before every ending", () => {
    // Every character that may end a name (the expressions' look-ahead), and some that may not.
    const endings = ["", ...BOUNDARIES, ")", ":", '":', "x", "z", "{", "~", "-", ".", "0"];
    for (const name of NAMES) {
      for (const boundary of BOUNDARIES) {
        for (const ending of endings) {
          expectSameAnswer(`${boundary}${name}${ending}`);
          expectSameAnswer(`{"k":"a${boundary}${name}${ending}"}`);
          expectSameAnswer(`${name}${ending}`);
        }
      }
    }
  });

  it("finds a name whatever its position, up to the text's last byte", () => {
    const padding = "a".repeat(61);
    for (const name of ["nc", "dig", "curl", "socat", "nc.openbsd"]) {
      for (let shift = 0; shift < 9; shift++) {
        const message = `${padding.slice(0, shift)}"/usr/bin/${name}`;
        expect(mentionsNetworkUtility(message), message).toBe(true);
        expect(mentionsNetworkUtility(`${message}x`), message).toBe(false);
      }
    }
  });

  it("gives the expressions' own answer for every message fixture and every sample event", () => {
    for (const name of fixtureNames()) {
      const message = loadMessage(name);
      expectSameAnswer(message);
      // As shipped inside another JSON string (Fluent Bit, Docker): every quote escaped.
      expectSameAnswer(JSON.stringify({ log: message }));
    }
    const events = join(import.meta.dirname, "..", "..", "events");
    let messages = 0;
    for (const file of readdirSync(events).filter((f) => f.endsWith(".json"))) {
      const event = JSON.parse(readFileSync(join(events, file), "utf8"));
      if (typeof event?.awslogs?.data !== "string") continue;
      let decoded: ReturnType<typeof decodeAwslogsEvent>;
      try {
        decoded = decodeAwslogsEvent(event, 32 * 1024 * 1024);
      } catch {
        continue; // the sample of a payload that does not decode (bad-payload.json)
      }
      if (decoded.kind !== "data") continue;
      for (const logEvent of decoded.batch.logEvents) {
        expectSameAnswer(logEvent.message);
        messages++;
      }
    }
    expect(messages).toBeGreaterThan(50);
  });

  it("leaves a text it cannot take to the expressions: not ASCII, too long, or dense with places to try", () => {
    for (const message of [
      `{"binary":"/usr/bin/curl","arguments":"h\u00e9"}`,
      `{"binary":"/usr/bin/c\u00fcrl"}`,
      `{"arguments":"x\u00a0curl y"}`,
      `{"arguments":"x\u2028nc y"}`,
      `${"x".repeat(MAX_TEXT)} nc`,
      `${"x".repeat(MAX_TEXT + 1)} nc`,
      `${"x".repeat(MAX_TEXT - 4)} nc`,
      // Dense with places to try: past a few dozen, the expressions take the whole text.
      `${"\\".repeat(100)} nc`,
      `${'"-e'.repeat(100)} nc`,
      `${'"-e'.repeat(100)}`,
      `${'"-e'.repeat(20)} nc`,
    ]) {
      expectSameAnswer(message);
    }
    expect(mentionsNetworkUtility(`{"arguments":"x\u00a0curl y"}`)).toBe(true);
    expect(mentionsNetworkUtility(`${"x".repeat(MAX_TEXT + 1)} nc`)).toBe(true);
  });

  it("does not take a JSON key or a longer word for a socat address or a name", () => {
    for (const message of [
      '{"exec_id":"abc","parent_exec_id":"def"}',
      '{"flags":"execve clone"}',
      '{"hostname":"web-1"}',
      '{"system_id":"x"}',
    ]) {
      expect(mentionsNetworkUtility(message), message).toBe(false);
      expectSameAnswer(message);
    }
  });

  it("refuses an alternative that is not ASCII, or empty", () => {
    const boundary = (code: number) => code === 32;
    expect(() => new ByteScanner(boundary, [{ text: "é" }])).toThrow(/not ASCII/);
    expect(() => new ByteScanner(boundary, [{ text: "" }])).toThrow(/not ASCII/);
  });

  it("reports each position where an alternative follows a boundary character, and no other", () => {
    const scanner = new ByteScanner(
      (code) => code === 32,
      [{ text: "ab" }, { text: "wxyz" }, { text: "exec", after: ["/".charCodeAt(0)] }],
    );
    const positions = (message: string) => {
      expect(scanner.load(message)).toBe(true);
      const out: number[] = [];
      for (let at = scanner.next(0); at >= 0; at = scanner.next(at + 1)) out.push(at);
      return out;
    };
    expect(positions("x ab ab")).toEqual([1, 4]);
    expect(positions("ab")).toEqual([]); // the start of the text is the caller's (LEADING)
    expect(positions("x wxyz")).toEqual([1]);
    expect(positions("x wxy")).toEqual([]);
    expect(positions("x \\ y")).toEqual([2]); // a backslash, always: a boundary character of its own
    expect(positions(" exec")).toEqual([]); // only after "/", and "/" is not a boundary here
    expect(scanner.load("é")).toBe(false);
  });
});
