// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are shell text, where ${IFS} is literal.
import { describe, expect, it } from "vitest";
import { Lexer, type Token } from "../../src/shell/lexer.js";
import { segmentBudget } from "../../src/shell/segment.js";

/** Every token of `text` read as a whole script; substitutions are skipped, not read. */
function tokens(text: string, variables: Record<string, string> = {}): Token[] {
  const scope = { variables: new Map(Object.entries(variables)), positional: [], budget: segmentBudget() };
  const lexer = new Lexer({ text, pos: 0 }, null, scope, () => false);
  const out: Token[] = [];
  for (let token = lexer.next(); token.kind !== "end"; token = lexer.next()) out.push(token);
  return out;
}

const word = (text: string, plain = true, split = false): Token => ({ kind: "word", text, plain, split });
const BREAK: Token = { kind: "separator" };
const PIPE: Token = { kind: "pipe" };

describe("the token step", () => {
  it.each<[string, Token[]]>([
    ["curl -s x", [word("curl"), word("-s"), word("x")]],
    ["curl x|sh", [word("curl"), word("x"), PIPE, word("sh")]],
    [
      "a && b || c; d & e\nf",
      [word("a"), BREAK, word("b"), BREAK, word("c"), BREAK, word("d"), BREAK, word("e"), BREAK, word("f")],
    ],
    ["a |& b", [word("a"), PIPE, word("b")]],
    [`'c u' "r\\"l" x\\ y`, [word("c u", false), word('r"l', false), word("x y", false)]],
    ["a 2>/dev/null", [word("a"), { kind: "redirect", op: ">" }, word("/dev/null")]],
    ["a>>b", [word("a"), { kind: "redirect", op: ">>" }, word("b")]],
    ["a &>b", [word("a"), { kind: "redirect", op: "&>" }, word("b")]],
    ["sh <<< x", [word("sh"), { kind: "redirect", op: "<<<" }, word("x")]],
    ["(a) )", [{ kind: "open" }, word("a"), { kind: "close" }, { kind: "stray-close" }]],
    ["a # b c\nd", [word("a"), BREAK, word("d")]],
    ["a#b", [word("a#b")]],
    ["cu\\\nrl", [word("curl")]],
    ["$'\\x63url'", [word("curl", false)]],
    ["$a x", [word("curl -s", false, true), word("x")]],
    ['"$a"', [word("curl -s", false)]],
    ["curl${IFS}x", [word("curl x", false, true)]],
    ["cu$()rl", [word("curl", false)]],
    ["a $(b c) d", [word("a"), word("$(b c)", false), word("d")]],
  ])("%j", (text, expected) => {
    expect(tokens(text, { a: "curl -s" })).toEqual(expected);
  });

  it("hands substitutions to its host and keeps their text as written", () => {
    // Prepare: a host that reads the nested list with a lexer of its own on the same cursor.
    const cursor = { text: "x$(curl y)z", pos: 0 };
    const scope = { variables: new Map<string, string>(), positional: [], budget: segmentBudget() };
    const nested: Token[] = [];
    const lexer = new Lexer(cursor, null, scope, (_kind, close) => {
      const inner = new Lexer(cursor, close, scope, () => false);
      for (let token = inner.next(); token.kind !== "end"; token = inner.next()) nested.push(token);
      return true;
    });
    // Act
    const first = lexer.next();
    // Assess
    expect(first).toEqual(word("x$(curl y)z", false));
    expect(nested).toEqual([word("curl"), word("y")]);
    expect(lexer.next()).toEqual({ kind: "end" });
  });
});
