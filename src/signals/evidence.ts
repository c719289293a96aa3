/**
 * What truncation keeps first: the arguments that are evidence (URLs, hosts, IP addresses, cloud
 * credential endpoints, writable places, whatever the reasons quote) and the options right before
 * them; padding goes first. Pure and linear in the number of arguments.
 */
import { truncateText } from "./redact.js";

const URL_LIKE = /[a-z][a-z0-9+.-]{0,31}:\/\/[^\s'"`]{1,2048}/gi;
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g;
const CREDENTIAL_ENDPOINT = /169\.254\.169\.254|169\.254\.170\.2|fd00:ec2::254/gi;
/** A whole argument that names a host (`evil.example.com`, `c2.example:4444`, `user@host:/path`). */
const HOST_ARG = /^(?:[\w.-]{1,64}@)?(?:[a-z0-9-]{1,63}\.){1,8}[a-z]{2,63}(?::[\w/.-]{0,256})?$/i;
const WRITABLE_PLACE = /^(?:\/tmp\/|\/var\/tmp\/|\/dev\/shm\/|\/run\/|memfd:)|\/\.[^/]/;
/** Arguments longer than this are not compared with the reasons (a reason quotes at most 120). */
const MAX_QUOTED_CHARS = 256;

/** True when `arg` is evidence a reader needs to see. */
function isEvidence(arg: string, reasons: readonly string[]): boolean {
  if (arg.includes("://") || WRITABLE_PLACE.test(arg) || HOST_ARG.test(arg)) return true;
  IPV4.lastIndex = 0;
  CREDENTIAL_ENDPOINT.lastIndex = 0;
  if (IPV4.test(arg) || CREDENTIAL_ENDPOINT.test(arg)) return true;
  return arg.length >= 3 && arg.length <= MAX_QUOTED_CHARS && reasons.some((r) => r.includes(arg));
}

/**
 * At most `max` of `args` (plus markers saying how many went where): evidence first, then the option
 * before each kept argument, then the others from the start; kept arguments stay in their order.
 */
export function keepEvidenceArgs(args: readonly string[], max: number, reasons: readonly string[]): string[] {
  if (args.length <= max) return [...args];
  const keep = new Uint8Array(args.length);
  let budget = max;
  for (let i = 0; i < args.length && budget > 0; i++) {
    if (isEvidence(args[i]!, reasons)) {
      keep[i] = 1;
      budget--;
    }
  }
  for (let i = 1; i < args.length && budget > 0; i++) {
    if (keep[i] === 1 && keep[i - 1] === 0 && args[i - 1]!.startsWith("-")) {
      keep[i - 1] = 2;
      budget--;
    }
  }
  for (let i = 0; i < args.length && budget > 0; i++) {
    if (keep[i] === 0) {
      keep[i] = 3;
      budget--;
    }
  }
  const out: string[] = [];
  let skipped = 0;
  for (let i = 0; i < args.length; i++) {
    if (keep[i] === 0) {
      skipped++;
      continue;
    }
    if (skipped > 0) out.push(`…[truncated ${skipped} args]`);
    skipped = 0;
    out.push(args[i]!);
  }
  if (skipped > 0) out.push(`…[truncated ${skipped} args]`);
  return out;
}

/** Evidence snippets found after `from` in `text`, in order, at most `room` characters in all. */
function snippetsAfter(text: string, from: number, room: number): string[] {
  const found: { at: number; text: string }[] = [];
  for (const pattern of [URL_LIKE, CREDENTIAL_ENDPOINT, IPV4]) {
    // Every URL holds "://"; without one, URL_LIKE would only backtrack over each letter of the text.
    if (pattern === URL_LIKE && !text.includes("://", from)) continue;
    pattern.lastIndex = from;
    for (let m = pattern.exec(text); m && found.length < 64; m = pattern.exec(text)) {
      found.push({ at: m.index, text: m[0] });
    }
  }
  found.sort((a, b) => a.at - b.at);
  const out: string[] = [];
  let used = 0;
  let end = from;
  for (const { at, text: snippet } of found) {
    if (at < end || used + snippet.length + 3 > room) continue;
    out.push(snippet);
    used += snippet.length + 3;
    end = at + snippet.length;
  }
  return out;
}

/**
 * `text` cut to about `max` characters like {@link truncateText}, except that URLs, IP addresses and
 * credential endpoints beyond the cut are kept after the marker (`sh -c '<padding> curl http://c2'`
 * still shows `http://c2`).
 */
export function truncateKeepingEvidence(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.max(1, Math.floor(max / 2));
  const snippets = snippetsAfter(text, head, max - head);
  if (snippets.length === 0) return truncateText(text, max);
  return `${truncateText(text, head)} … ${snippets.join(" … ")}`;
}
