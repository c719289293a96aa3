/**
 * The raw-text prefilter: decides, before any JSON parsing, whether a log message can possibly hold an
 * event the rule would flag. Most exec events are not network utilities; skipping them here is what
 * keeps the pipeline near the cost of decoding the batch.
 *
 * Soundness (never false for a flaggable event): the rule identifies a utility by an exact name that is
 * a whole JSON string, a path's last component, or a shell word. In the raw JSON text such a name is
 * therefore preceded by one of `" ' / = ( \` ; | & < > \\`, whitespace, the start of the text, or a
 * JSON escape (`\n`, `\t`, `\r`, `\u0026` as Go writes `&`) — with `memfd:` in between for an
 * executable run from an anonymous memory file (`/memfd:curl (deleted)`) — and followed by one of
 * `" ' \\ ; | & ) \` < >`, whitespace or the end. Formats whose commands can hide a name from literal
 * matching (URL-encoded, split by shell quoting) declare markers of such messages in their parser
 * (`alwaysParse`, collected as ALWAYS_PARSE); a message holding one is let through whole. JSON object
 * keys (`"host":`) are not names. Beyond names, the rule families' other tells (catalogue.ts
 * PREFILTER_HINT): a socket device path anywhere; a shaped option or a socat address where an argument
 * can start, which is where the parsers split arguments: after whitespace (raw or as `\t`, `\n`,
 * `\r`), a quote (a JSON string's start, `\"` or `'`), a backslash (`\-fsSL`, shell-escaped), a
 * `\uXXXX` escape, a `=` (a value of Falco's output line: `args=-fsSL …`), or the start of the text.
 *
 * Speed: V8 runs these expressions at 1.3-2 ns a character over text that holds no match, which was
 * most of the pipeline's cost beyond decoding on an ordinary batch. So for an ASCII text a WebAssembly
 * loop over its bytes (src/detection/byte-scan.ts) first finds the few places where one of them could
 * start to match (a boundary character followed by the start of a name, an address, `-`…, and every
 * backslash), and they are tried there only, as one sticky expression: the same answer, at about 0.8
 * ns a character with the copy (test/detection/prefilter-scan.test.ts holds the answers equal).
 * Everything that follows one of the name's boundary characters and starts with a letter rides in
 * PLAIN's one alternation; an alternative starting with `-` there would make V8's first-characters
 * check let every `",` through, so options get an expression of their own. Expressions needed only in
 * rarer cases (a backslash in the text, a possible first character) stay out of the common path when
 * the expressions run over a whole text (not ASCII, very long, or no WebAssembly).
 */
import { MULTICALL_BINARIES } from "../shell/index.js";
import { ALWAYS_PARSE } from "../sources/index.js";
import { type Alternative, ByteScanner } from "./byte-scan.js";
import { CHANNEL_TOOL_NAMES, PREFILTER_HINT, UTILITIES } from "./catalogue.js";

const WORDS = [...UTILITIES.keys(), ...MULTICALL_BINARIES, ...CHANNEL_TOOL_NAMES];
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
const NAMES = [...WORDS]
  // Longest first, so "nc.openbsd" is tried before "nc".
  .sort((a, b) => b.length - a.length)
  .map(literal)
  .join("|");

/** Characters a name follows (see the soundness note above). */
const BOUNDARY = `\\s"'/=(\`;|&\\\\<>`;
const AFTER = `(?=[\\s"'\\\\;|&)\`<>]|$)(?!"\\s*:)`;
/** A name as a word, or a socat address: whatever may follow a boundary and starts with a letter. */
const WORD = `(?:${NAMES})${AFTER}|(?:${PREFILTER_HINT.addresses.map(literal).join("|")}):`;
const OPTION = `-${PREFILTER_HINT.options}`;
const JSON_ESCAPE = "\\\\(?:[nrt]|u[0-9a-fA-F]{4})";

// Markers the parsers declared that start with a boundary character (`/exec`) are found in PLAIN's scan:
// the rest of the marker after that character, then a look back at the whole. Others are searched for.
const boundaryChars = new RegExp(`^[${BOUNDARY}]`);
const FOLDED = ALWAYS_PARSE.filter((marker) => boundaryChars.test(marker) && marker.length > 1);
const SEARCHED = ALWAYS_PARSE.filter((marker) => !FOLDED.includes(marker));

const PLAIN = new RegExp(
  `[${BOUNDARY}](?:memfd:)?(?:${WORD}|${PREFILTER_HINT.device}${FOLDED.map(
    (marker) => `|${literal(marker.slice(1))}(?<=${literal(marker)})`,
  ).join("")})`,
);
/** A shaped option after raw whitespace or a quote; the backslash cases are ESCAPED's. */
const OPTIONS = new RegExp(`[\\s"']${OPTION}`);
/** A shaped option as a `key=value` text's value; apart from OPTIONS, as `=` in its class doubles its cost. */
const VALUE_OPTIONS = new RegExp(`=${OPTION}`);
const ESCAPED = new RegExp(`${JSON_ESCAPE}(?:${WORD})|(?:${JSON_ESCAPE}|\\\\)${OPTION}`);
const LEADING = new RegExp(`^(?:${WORD}|${OPTION})`);
/** Which first characters LEADING can match at all: most texts start with `{` and skip it. */
const LEADS: ReadonlySet<number> = new Set(
  [...WORDS, ...PREFILTER_HINT.addresses, "-"].map((word) => word.charCodeAt(0)),
);

/** Places tried in one text before the expressions take the whole of it (an ordinary message has one or two). */
const MAX_PLACES = 32;

/** Every expression but LEADING, as one that matches only where it starts: tried where the scanner points. */
const AT = new RegExp([PLAIN, OPTIONS, VALUE_OPTIONS, ESCAPED].map((e) => `(?:${e.source})`).join("|"), "y");

/**
 * What may follow a boundary character where one of PLAIN, OPTIONS and VALUE_OPTIONS starts to match
 * (ESCAPED starts at a backslash, which the scanner always reports): a name, a socat address and its
 * colon, `memfd:`, the device path's leading letters, a folded marker's rest after its own first
 * character, and `-` for an option. Null when the device path does not start with letters, and then
 * the expressions alone decide.
 */
function scanAlternatives(): Alternative[] | null {
  const device = /^[A-Za-z0-9]+/.exec(PREFILTER_HINT.device)?.[0];
  if (device === undefined) return null;
  return [
    ...WORDS.map((text) => ({ text })),
    ...PREFILTER_HINT.addresses.map((address) => ({ text: `${address}:` })),
    { text: "memfd:" },
    { text: device },
    ...FOLDED.map((marker) => ({ text: marker.slice(1), after: [marker.charCodeAt(0)] })),
    { text: "-" },
  ];
}

const BOUNDARY_CHAR = new RegExp(`[${BOUNDARY}]`);
let scanner: ByteScanner | null | undefined;

/** The byte scanner, made on first use; null where WebAssembly cannot run (`--jitless`). */
function scannerOf(): ByteScanner | null {
  if (scanner === undefined) {
    const alternatives = scanAlternatives();
    try {
      scanner =
        alternatives === null
          ? null
          : new ByteScanner((code) => BOUNDARY_CHAR.test(String.fromCharCode(code)), alternatives);
    } catch {
      scanner = null;
    }
  }
  return scanner;
}

/** Whether the byte scanner is in use here (for the tests: it must be, where WebAssembly runs). */
export function usesByteScanner(): boolean {
  return scannerOf() !== null;
}

/**
 * True when `text` (a raw log message) may describe the execution of a network utility, so it is worth
 * parsing. Never false for a message whose parsed event the rule could flag; cheap: for an ASCII text,
 * one copy and one WebAssembly loop over its bytes (src/detection/byte-scan.ts), then the expressions
 * tried only where it points, which gives exactly {@link mentionsByExpressions}' answer; scans that
 * build nothing, where JSON.parse allocates the whole object.
 */
export function mentionsNetworkUtility(text: string): boolean {
  if (typeof text !== "string") return false;
  const bytes = scannerOf();
  if (bytes === null || !bytes.load(text)) return mentionsByExpressions(text);
  let tried = 0;
  for (let at = bytes.next(0); at >= 0; at = bytes.next(at + 1)) {
    // A text dense with places to try (a run of backslashes, `"-` repeated) costs the expressions'
    // one pass rather than a call per place: the same answer, and no worse than without the scanner.
    if (++tried > MAX_PLACES) return mentionsByExpressions(text);
    AT.lastIndex = at;
    if (AT.test(text)) return true;
  }
  return (LEADS.has(text.charCodeAt(0)) && LEADING.test(text)) || mustAlwaysParse(text);
}

/**
 * The prefilter's answer from its expressions alone, each run over the whole text: two precompiled
 * regular expressions in the common case. For a text the byte scanner cannot take (not ASCII, very
 * long, no WebAssembly), and the reference its answers are tested against.
 */
export function mentionsByExpressions(text: string): boolean {
  if (typeof text !== "string") return false;
  return (
    PLAIN.test(text) ||
    OPTIONS.test(text) ||
    (text.includes("=-") && VALUE_OPTIONS.test(text)) ||
    (LEADS.has(text.charCodeAt(0)) && LEADING.test(text)) ||
    (text.includes("\\") && ESCAPED.test(text)) ||
    mustAlwaysParse(text)
  );
}

/** Whether `text` holds a marker a source parser declared must always be parsed (and PLAIN did not find). */
function mustAlwaysParse(text: string): boolean {
  for (const marker of SEARCHED) if (text.includes(marker)) return true;
  return false;
}
