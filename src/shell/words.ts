/**
 * Shell words: splitting a command string into them, and their shapes (assignments, variable names,
 * pathname patterns, brace lists). Pure string functions; nothing here knows about commands.
 */

/** A word that assigns a variable (`a=1`, `a+=x`, `a[2]=x`) when it stands before the command. */
export const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=/;

/** A variable name at the start of a string (`$name` without its `$`). */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** True when an unquoted word holds a pathname-expansion pattern (`c?rl`, `/???/???/wge*`, `[c]url`). */
export function hasGlob(word: string): boolean {
  return /[*?]|\[[^\]]+\]/.test(word);
}

/**
 * The words an unquoted `{a,b}` expands to, as bash does: `{curl,-s,http://x}` is `curl -s http://x`,
 * a way to write a command without spaces (`bash -c {curl,-s,http://x}|{sh,}`). One level, no ranges;
 * empty words are dropped. Anything else is the word itself.
 */
export function braceExpansion(word: string): string[] {
  const open = word.indexOf("{");
  if (open === -1 || word.length > 4096) return [word];
  const close = word.indexOf("}", open);
  if (close === -1 || word.indexOf("{", open + 1) !== -1 || word.indexOf("}", close + 1) !== -1)
    return [word];
  const list = word.slice(open + 1, close);
  if (!list.includes(",") || word.slice(0, open).includes(",")) return [word];
  const before = word.slice(0, open);
  const after = word.slice(close + 1);
  return list
    .split(",")
    .map((part) => `${before}${part}${after}`)
    .filter((part) => part.length > 0);
}

/**
 * Splits a command line the way a POSIX shell splits words, tolerantly: single quotes are literal,
 * double quotes allow backslash escapes of `"`, `\`, `$` and backtick, a backslash outside quotes
 * escapes the next character, an unterminated quote runs to the end. No expansion, no operators:
 * `|`, `;`, `&&` stay as (or inside) words for the reader to take apart. Linear in the input; a
 * non-string is no words.
 */
export function splitShellWords(line: string): string[] {
  if (typeof line !== "string") return [];
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) {
        words.push(word);
        word = "";
        inWord = false;
      }
      i++;
    } else if (c === "'") {
      inWord = true;
      const close = line.indexOf("'", i + 1);
      const end = close < 0 ? n : close;
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      while (i < n && line[i] !== '"') {
        const d = line[i] as string;
        if (d === "\\" && i + 1 < n) {
          const next = line[i + 1] as string;
          if (next === '"' || next === "\\" || next === "$" || next === "`") {
            word += next;
            i += 2;
            continue;
          }
          if (next === "\n") {
            i += 2;
            continue;
          }
        }
        word += d;
        i++;
      }
      i++;
    } else if (c === "\\") {
      inWord = true;
      if (i + 1 < n) {
        const next = line[i + 1] as string;
        if (next !== "\n") word += next;
        i += 2;
      } else {
        word += c;
        i++;
      }
    } else {
      inWord = true;
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
