/**
 * A large subscription payload parsed in pieces, so that its whole text never exists: the header
 * (every member before `"logEvents"`), then the log events a few dozen KiB at a time. The whole text
 * of a 26 MiB payload would otherwise outlive the parse in V8's old space until the next full
 * collection, next to the parsed batch and the gunzipped bytes. Gives exactly what
 * `JSON.parse(raw.toString("utf8"))` gives, or undefined whenever it cannot tell (an unusual shape,
 * anything invalid): the caller then parses the whole text, which gives the same result or error.
 */

const KEY = Buffer.from('"logEvents":[');
/** Bytes of log events per JSON.parse: small strings die young. */
const PIECE_BYTES = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function isJsonSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The elements of `raw[start, end)` read as the inside of a JSON array, appended to `into`; false if invalid. */
function addPiece(raw: Buffer, start: number, end: number, into: unknown[]): number | undefined {
  let items: unknown;
  try {
    items = JSON.parse(`[${raw.toString("utf8", start, end)}]`);
  } catch {
    return undefined;
  }
  if (!Array.isArray(items)) return undefined;
  for (const item of items) into.push(item);
  return items.length;
}

/**
 * The payload object, when `raw` is one JSON object whose last member is `"logEvents"`, an array, and
 * whose other members all come before it (how CloudWatch Logs writes it); else undefined. `pieceBytes`
 * is for tests.
 */
export function parseInPieces(raw: Buffer, pieceBytes = PIECE_BYTES): Record<string, unknown> | undefined {
  const at = raw.indexOf(KEY);
  // An escaped quote before the key would make it part of a longer key ("x\"logEvents").
  if (at <= 0 || raw[at - 1] === BACKSLASH) return undefined;
  let header: unknown;
  try {
    // Parses only if the key is a member of the top-level object: anywhere deeper leaves it unclosed.
    header = JSON.parse(`${raw.toString("utf8", 0, at)}"logEvents":[]}`);
  } catch {
    return undefined;
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) return undefined;
  const events: unknown[] = [];
  let start = at + KEY.length;
  let depth = 0;
  let inString = false;
  let i = start;
  for (; i < raw.length; i++) {
    const c = raw[i] as number;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) break;
      depth--;
    } else if (c === COMMA && depth === 0 && i - start >= pieceBytes) {
      // A piece followed by a comma holds at least one element, or the text had an empty one.
      if (!addPiece(raw, start, i, events)) return undefined;
      start = i + 1;
    }
  }
  if (raw[i] !== 0x5d) return undefined;
  const last = addPiece(raw, start, i, events);
  // `[]` is an empty array; an empty piece after a comma (`[1,]`) is not JSON.
  if (last === undefined || (last === 0 && start !== at + KEY.length)) return undefined;
  let j = i + 1;
  while (isJsonSpace(raw[j])) j++;
  if (raw[j] !== 0x7d) return undefined;
  j++;
  while (isJsonSpace(raw[j])) j++;
  if (j !== raw.length) return undefined;
  (header as Record<string, unknown>).logEvents = events;
  return header as Record<string, unknown>;
}
