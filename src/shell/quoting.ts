/**
 * Quoting constructs read character by character from a cursor: ANSI-C `$'…'` strings, and skipping a
 * substitution that is not read (past a limit) while honouring its quotes and parentheses.
 */

/** One script's text and how far it has been read; shared by the lexers of its nested lists. */
export interface Cursor {
  readonly text: string;
  pos: number;
}

/** Reads `$'…'` from just after its opening quote, with C escapes, so `$'\x63url'` reads as curl. */
export function ansiC(cursor: Cursor): string {
  const text = cursor.text;
  let value = "";
  while (cursor.pos < text.length) {
    const c = text[cursor.pos]!;
    if (c === "'") {
      cursor.pos++;
      return value;
    }
    if (c !== "\\") {
      value += c;
      cursor.pos++;
      continue;
    }
    const e = text[cursor.pos + 1] ?? "";
    cursor.pos += 2;
    const simple: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      a: "\x07",
      b: "\b",
      e: "\x1b",
      E: "\x1b",
    };
    if (e in simple) value += simple[e];
    else if (e === "x" || e === "u" || e === "U") {
      const max = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = /^[0-9a-fA-F]+/.exec(text.slice(cursor.pos, cursor.pos + max))?.[0] ?? "";
      cursor.pos += hex.length;
      const code = hex.length > 0 ? Number.parseInt(hex, 16) : Number.NaN;
      value += Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : e;
    } else if (e >= "0" && e <= "7") {
      const oct = /^[0-7]{1,3}/.exec(text.slice(cursor.pos - 1, cursor.pos + 2))?.[0] ?? e;
      cursor.pos += oct.length - 1;
      value += String.fromCharCode(Number.parseInt(oct, 8) & 0xff);
    } else value += e;
  }
  return value;
}

/** Skips to just after the matching `close`, honouring quotes and nested parentheses. */
export function skipPast(cursor: Cursor, close: ")" | "`"): void {
  const text = cursor.text;
  let parens = 0;
  while (cursor.pos < text.length) {
    const c = text[cursor.pos]!;
    if (c === "\\") cursor.pos += 2;
    else if (c === "'") {
      const end = text.indexOf("'", cursor.pos + 1);
      cursor.pos = end === -1 ? text.length : end + 1;
    } else if (close === ")" && c === "(") {
      parens++;
      cursor.pos++;
    } else if (c === close && (close === "`" || parens === 0)) {
      cursor.pos++;
      return;
    } else {
      if (c === ")") parens--;
      cursor.pos++;
    }
  }
}
