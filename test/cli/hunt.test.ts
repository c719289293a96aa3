import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/aws/retry.js";
import { parseTimeSpec } from "../../src/cli/hunt/args.js";
import { runHunt } from "../../src/cli/hunt/index.js";
import { DEFAULT_RETRY, pageToBatches } from "../../src/cli/hunt/pages.js";
import { decodeResumeToken, encodeResumeToken, type ResumeState } from "../../src/cli/hunt/resume.js";
import type { CliIO } from "../../src/cli/io.js";
import { UsageError } from "../../src/errors.js";

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

function quietIO(env: Record<string, string | undefined> = {}): CliIO & { err: string[] } {
  const err: string[] = [];
  return { err, stdout() {}, stderr: (t) => err.push(t), env, stderrIsTTY: false, now: () => NOW };
}

const STATE: ResumeState = {
  v: 1,
  target: { prefixes: ["/ecs/"] },
  index: 1,
  group: "/ecs/orders",
  nextToken: "/ecs/orders@ecs/worker/1@1234",
  since: NOW - 86_400_000,
  until: NOW,
  minSeverity: "medium",
  limit: 500,
  totals: { events: 1500, execEvents: 40, findings: { low: 1, medium: 2, high: 3, critical: 0 }, signals: 5 },
  current: { events: 500, execEvents: 10, findings: { low: 0, medium: 1, high: 0, critical: 0 }, signals: 1 },
};

describe("parseTimeSpec", () => {
  it("reads durations back from now", () => {
    expect(parseTimeSpec("30m", NOW, "--since")).toBe(NOW - 30 * 60_000);
    expect(parseTimeSpec("24h", NOW, "--since")).toBe(NOW - 86_400_000);
    expect(parseTimeSpec("7d", NOW, "--since")).toBe(NOW - 7 * 86_400_000);
    expect(parseTimeSpec("2w", NOW, "--since")).toBe(NOW - 14 * 86_400_000);
    expect(parseTimeSpec("90s", NOW, "--since")).toBe(NOW - 90_000);
  });

  it("reads ISO dates (UTC) and date-times with a zone", () => {
    expect(parseTimeSpec("2026-11-01", NOW, "--since")).toBe(Date.UTC(2026, 10, 1));
    expect(parseTimeSpec("2026-11-01T10:30:00Z", NOW, "--since")).toBe(Date.UTC(2026, 10, 1, 10, 30));
    expect(parseTimeSpec("2026-11-01T10:30:00.250+02:00", NOW, "--until")).toBe(
      Date.UTC(2026, 10, 1, 8, 30, 0, 250),
    );
  });

  it("rejects a date-time without a zone, naming the flag", () => {
    expect(() => parseTimeSpec("2026-11-01T10:30:00", NOW, "--until")).toThrow(/--until .* no time zone/);
  });

  it("rejects anything else", () => {
    for (const bad of ["yesterday", "24", "1y", "-5m", "2026-13-45", ""]) {
      expect(() => parseTimeSpec(bad, NOW, "--since")).toThrow(UsageError);
    }
  });
});

describe("resume token", () => {
  it("round-trips as shell-safe base64url", () => {
    const token = encodeResumeToken(STATE);

    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeResumeToken(token)).toEqual(STATE);
  });

  it("rejects garbage and tampered tokens with a usage error", () => {
    const tampered = (patch: Record<string, unknown>) =>
      encodeResumeToken({ ...STATE, ...patch } as ResumeState);

    expect(() => decodeResumeToken("not a token!")).toThrow(/not a hunt resume token/);
    expect(() => decodeResumeToken(Buffer.from("[1,2]").toString("base64url"))).toThrow(UsageError);
    expect(() => decodeResumeToken(tampered({ v: 2 }))).toThrow(/unknown version/);
    expect(() => decodeResumeToken(tampered({ since: NOW, until: NOW - 1 }))).toThrow(/bad window/);
    expect(() => decodeResumeToken(tampered({ target: { groups: [] } }))).toThrow(/no log groups/);
    expect(() => decodeResumeToken(tampered({ minSeverity: "urgent" }))).toThrow(/severity/);
    expect(() => decodeResumeToken(tampered({ totals: { ...STATE.totals, events: -1 } }))).toThrow(/counts/);
    expect(() => decodeResumeToken(tampered({ limit: 20_000 }))).toThrow(/limit/);
  });
});

describe("backoffDelay", () => {
  it("grows exponentially, stays in the upper half, and is capped", () => {
    expect(backoffDelay(0, DEFAULT_RETRY, () => 0)).toBe(500);
    expect(backoffDelay(0, DEFAULT_RETRY, () => 1)).toBe(1000);
    expect(backoffDelay(3, DEFAULT_RETRY, () => 0.5)).toBe(6000);
    expect(backoffDelay(10, DEFAULT_RETRY, () => 1)).toBe(20_000);
  });
});

describe("pageToBatches", () => {
  it("groups a page by log stream, keeping order, ids and timestamps", () => {
    const target = { name: "/ecs/payments", owner: "123456789012" };

    const batches = pageToBatches(target, [
      { logStreamName: "ecs/api/a", eventId: "1", timestamp: 10, message: "one" },
      { logStreamName: "ecs/api/b", eventId: "2", timestamp: 11, message: "two" },
      { logStreamName: "ecs/api/a", eventId: "3", timestamp: 12, message: "three" },
      { logStreamName: "ecs/api/b", eventId: "4", timestamp: 13 },
    ]);

    expect(batches).toEqual([
      {
        owner: "123456789012",
        logGroup: "/ecs/payments",
        logStream: "ecs/api/a",
        subscriptionFilters: [],
        logEvents: [
          { id: "1", timestamp: 10, message: "one" },
          { id: "3", timestamp: 12, message: "three" },
        ],
      },
      {
        owner: "123456789012",
        logGroup: "/ecs/payments",
        logStream: "ecs/api/b",
        subscriptionFilters: [],
        logEvents: [{ id: "2", timestamp: 11, message: "two" }],
        dropped: [{ index: 3, reason: "log event message is missing" }],
      },
    ]);
  });
});

describe("runHunt usage", () => {
  const cases: [string, string[], RegExp][] = [
    ["no target", ["--since", "1h"], /--log-group NAME or --prefix P/],
    ["both targets", ["--log-group", "/a", "--prefix", "/b", "--since", "1h"], /not both/],
    ["no --since", ["--log-group", "/a"], /--since/],
    ["empty window", ["--log-group", "/a", "--since", "1h", "--until", "2h"], /earlier than --until/],
    ["bad severity", ["--log-group", "/a", "--since", "1h", "--min-severity", "urgent"], /--min-severity/],
    ["bad limit", ["--log-group", "/a", "--since", "1h", "--limit", "0"], /--limit/],
    [
      "resume plus window",
      ["--resume", encodeResumeToken(STATE), "--since", "1h"],
      /do not combine it with --since/,
    ],
    ["publish without topic", ["--log-group", "/a", "--since", "1h", "--publish"], /SNS_TOPIC_ARN/],
  ];

  it.each(cases)("rejects %s", async (_name, argv, message) => {
    await expect(runHunt(argv, quietIO())).rejects.toThrow(message);
    await expect(runHunt(argv, quietIO())).rejects.toBeInstanceOf(UsageError);
  });

  it("rejects unknown flags through parseArgs", async () => {
    await expect(runHunt(["--log-groups", "/a"], quietIO())).rejects.toMatchObject({
      code: "ERR_PARSE_ARGS_UNKNOWN_OPTION",
    });
  });

  it("turns a bad MIN_SEVERITY into a usage error naming the variable", async () => {
    await expect(
      runHunt(["--log-group", "/a", "--since", "1h"], quietIO({ MIN_SEVERITY: "loud" })),
    ).rejects.toThrow(/MIN_SEVERITY/);
  });

  it("prints help", async () => {
    const io = quietIO();

    expect(await runHunt(["--help"], io)).toBe(0);
    const help = io.err.join("");
    expect(help).toContain("Usage: node dist/cli.js hunt (--log-group NAME... | --prefix P...)");
    expect(help).toContain("\n       node dist/cli.js hunt --resume TOKEN");
    expect(help).not.toContain("netutil-detector hunt");
  });
});
