import { describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import {
  estimateRemainingMs,
  formatCount,
  formatDuration,
  formatProgressLine,
  formatTable,
  ProgressReporter,
} from "../../src/cli/progress.js";

function clockIO(tty: boolean): CliIO & { err: string[]; clock: { now: number } } {
  const clock = { now: 0 };
  const err: string[] = [];
  return {
    err,
    clock,
    stdout() {},
    stderr: (text) => err.push(text),
    env: {},
    stderrIsTTY: tty,
    now: () => clock.now,
  };
}

describe("formatting", () => {
  it("formats counts and durations", () => {
    expect(formatCount(1234567.4)).toBe("1,234,567");
    expect(formatDuration(42_400)).toBe("42s");
    expect(formatDuration(185_000)).toBe("3m 05s");
    expect(formatDuration(7_380_000)).toBe("2h 03m");
  });

  it("estimates the remaining time only when progress is known", () => {
    expect(estimateRemainingMs(0.25, 10_000)).toBe(30_000);
    expect(estimateRemainingMs(undefined, 10_000)).toBeNull();
    expect(estimateRemainingMs(0, 10_000)).toBeNull();
    expect(estimateRemainingMs(1, 10_000)).toBe(0);
  });

  it("shows events, rate, signals and ETA", () => {
    const line = formatProgressLine(
      { label: "group 1/2 /ecs/a", events: 5000, signals: 3, fraction: 0.5 },
      2000,
    );

    expect(line).toBe("group 1/2 /ecs/a · 5,000 events · 2,500 ev/s · 3 signals · 50% · ETA 2s");
  });

  it("leaves the ETA out when progress is unknowable", () => {
    expect(formatProgressLine({ label: "x", events: 0, signals: 0 }, 0)).toBe(
      "x · 0 events · – ev/s · 0 signals",
    );
  });

  it("aligns table columns", () => {
    const text = formatTable(
      [{ header: "name" }, { header: "n", align: "right" }],
      [
        ["a", "1"],
        ["long", "100"],
      ],
    );

    expect(text).toBe("name    n\n----  ---\na       1\nlong  100\n");
  });
});

describe("ProgressReporter", () => {
  it("redraws in place on a terminal, throttled, and ends with a newline", () => {
    const io = clockIO(true);
    const progress = new ProgressReporter(io, 0, { ttyIntervalMs: 100 });

    io.clock.now = 50;
    progress.update({ label: "a", events: 1, signals: 0 });
    io.clock.now = 150;
    progress.update({ label: "b", events: 2, signals: 0 });
    io.clock.now = 160;
    progress.update({ label: "c", events: 3, signals: 0 });
    progress.finish();

    expect(io.err).toHaveLength(3);
    expect(io.err[0]).toMatch(/^\rb · 2 events /);
    expect(io.err[0]?.endsWith("\u001b[K")).toBe(true);
    expect(io.err[1]).toMatch(/^\rc · 3 events/);
    expect(io.err[2]).toBe("\n");
  });

  it("writes plain lines at the plain interval when stderr is not a terminal", () => {
    const io = clockIO(false);
    const progress = new ProgressReporter(io, 0, { plainIntervalMs: 10_000 });

    for (let t = 1000; t <= 25_000; t += 1000) {
      io.clock.now = t;
      progress.update({ label: "g", events: t, signals: 0 });
    }
    progress.finish();

    expect(io.err).toEqual([
      "g · 10,000 events · 1,000 ev/s · 0 signals\n",
      "g · 20,000 events · 1,000 ev/s · 0 signals\n",
    ]);
  });
});
