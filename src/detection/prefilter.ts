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
 * `" ' \\ ; | & ) \` < >`, whitespace or the end. Two cases defeat literal matching, so they are let
 * through whole: Kubernetes audit exec requests (the command is URL-encoded in `requestURI`, marked by
 * `/exec?`, or `/proxy/exec/` for the kubelet's endpoint) and CloudTrail ECS `ExecuteCommand` records (shell quoting can split a name: `c''url`).
 * Both are rare. JSON object keys (`"host":`) are not names.
 */
import { MULTICALL_BINARIES } from "../shell/index.js";
import { CHANNEL_TOOL_NAMES, PREFILTER_HINT, UTILITIES } from "./catalogue.js";

const NAMES = [...UTILITIES.keys(), ...MULTICALL_BINARIES, ...CHANNEL_TOOL_NAMES]
  // Longest first, so "nc.openbsd" is tried before "nc".
  .sort((a, b) => b.length - a.length)
  .map((name) => name.replace(/[.+-]/g, (c) => `\\${c}`))
  .join("|");

const AFTER = `(?=[\\s"'\\\\;|&)\`<>]|$)(?!"\\s*:)`;
// One character class in front lets the regex engine skip quickly; the escaped cases are rarer and
// only scanned when the text holds a backslash at all.
const PLAIN = new RegExp(`[\\s"'/=(\`;|&\\\\<>](?:memfd:)?(?:${NAMES})${AFTER}`);
const LEADING = new RegExp(`^(?:${NAMES})${AFTER}`);
const ESCAPED = new RegExp(`\\\\(?:[nrt]|u[0-9a-fA-F]{4})(?:${NAMES})${AFTER}`);

/**
 * True when `text` (a raw log message) may describe the execution of a network utility, so it is worth
 * parsing. Never false for a message whose parsed event the rule could flag; cheap: one precompiled
 * regular expression over the text in the common case, a single scan that builds nothing, where
 * JSON.parse allocates the whole object.
 */
export function mentionsNetworkUtility(text: string): boolean {
  if (typeof text !== "string") return false;
  return (
    PLAIN.test(text) ||
    LEADING.test(text) ||
    (text.includes("\\") && ESCAPED.test(text)) ||
    text.includes("/exec") ||
    text.includes("ExecuteCommand") ||
    // Rule families beyond catalogued names: /dev/tcp channels and renamed utilities (argument shapes).
    PREFILTER_HINT.test(text)
  );
}
