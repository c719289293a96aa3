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
 * Speed (V8's regex engine, about 1 ns a character here): the text is scanned by as few expressions as
 * can share a scan. Everything that follows one of the name's boundary characters and starts with a
 * letter rides in PLAIN's one alternation, at almost no cost; an alternative starting with `-` there
 * would make its first-characters check let every `",` through, so options get a scan of their own.
 * Expressions tried only in rarer cases (a backslash in the text, a possible first character) stay out
 * of the common path.
 */
import { MULTICALL_BINARIES } from "../shell/index.js";
import { ALWAYS_PARSE } from "../sources/index.js";
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

/**
 * True when `text` (a raw log message) may describe the execution of a network utility, so it is worth
 * parsing. Never false for a message whose parsed event the rule could flag; cheap: two precompiled
 * regular expressions over the text in the common case, scans that build nothing, where JSON.parse
 * allocates the whole object.
 */
export function mentionsNetworkUtility(text: string): boolean {
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
