import { describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import {
  clipMiddle,
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

  it("fits each redraw to the terminal's width, read at every draw", () => {
    const io = clockIO(true);
    let columns = 80;
    io.stderrColumns = () => columns;
    const progress = new ProgressReporter(io, 0, { ttyIntervalMs: 100 });
    const label = "group 1/1 /aws/containerinsights/production-payments-cluster-eu-west-1/application";

    io.clock.now = 1000;
    progress.update({ label, events: 12_345, signals: 3 });
    columns = 40;
    io.clock.now = 2000;
    progress.update({ label, events: 24_690, signals: 3 });

    const drawn = io.err.map((text) => text.replace(/^\r/, "").replace("\u001b[K", ""));
    expect(drawn).toEqual([
      "group 1/1 /aws/con…west-1/application · 12,345 events · 12,345 ev/s · 3 signals",
      "24,690 events · 12,345 ev/s · 3 signals",
    ]);
    expect(Array.from(drawn[0] ?? "").length).toBe(79);
  });
});

describe("fitting the line to a width", () => {
  const snapshot = { label: "group 2/3 /ecs/payments-service-production", events: 1500, signals: 2 };

  it("keeps a line that fits whole", () => {
    expect(formatProgressLine({ label: "g", events: 1, signals: 0 }, 1000, 80)).toBe(
      "g · 1 events · 1 ev/s · 0 signals",
    );
  });

  it("shortens the label in its middle first, so the counts stay whole", () => {
    const line = formatProgressLine(snapshot, 1000, 60);
    expect(line).toBe("group 2/3 …roduction · 1,500 events · 1,500 ev/s · 2 signals");
    expect(Array.from(line).length).toBe(60);
  });

  it("shows the counts alone when no readable label fits beside them, cut only when they do not fit", () => {
    expect(formatProgressLine(snapshot, 1000, 45)).toBe("1,500 events · 1,500 ev/s · 2 signals");
    expect(formatProgressLine(snapshot, 1000, 20)).toBe("1,500 events · 1,500");
  });

  it("never exceeds the width, at any width", () => {
    for (let width = 0; width <= 120; width++) {
      const line = formatProgressLine({ ...snapshot, fraction: 0.4 }, 1000, width);
      expect(Array.from(line).length).toBeLessThanOrEqual(width);
    }
  });

  it("clips by characters, not UTF-16 units, with the ellipsis in the middle", () => {
    expect(clipMiddle("abcdefghij", 5)).toBe("ab…ij");
    expect(clipMiddle("abcdefghij", 6)).toBe("abc…ij");
    expect(clipMiddle("abc", 3)).toBe("abc");
    expect(clipMiddle("abc", 1)).toBe("…");
    expect(clipMiddle("abc", 0)).toBe("");
    expect(Array.from(clipMiddle("😀😀😀😀😀😀", 4))).toHaveLength(4);
  });
});
