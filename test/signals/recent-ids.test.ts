import { describe, expect, it } from "vitest";
import { RecentIds } from "../../src/signals/recent-ids.js";

function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("RecentIds", () => {
  it("remembers a key until its time to live has passed", () => {
    const clock = fakeClock();
    const recent = new RecentIds({ ttlMs: 60_000, now: clock.now });

    recent.add("topic|a");
    clock.advance(59_999);
    const stillRecent = recent.has("topic|a");
    clock.advance(1);
    const expired = recent.has("topic|a");

    expect(stillRecent).toBe(true);
    expect(expired).toBe(false);
    expect(recent.size).toBe(0);
  });

  it("knows only the keys it was given", () => {
    const recent = new RecentIds({ ttlMs: 60_000 });

    recent.add("topic|a");

    expect(recent.has("topic|b")).toBe(false);
    expect(recent.has("other|a")).toBe(false);
  });

  it("restarts the time to live when a key is added again", () => {
    const clock = fakeClock();
    const recent = new RecentIds({ ttlMs: 1_000, now: clock.now });

    recent.add("k");
    clock.advance(900);
    recent.add("k");
    clock.advance(900);

    expect(recent.has("k")).toBe(true);
    expect(recent.size).toBe(1);
  });

  it("stays within its bound by evicting the oldest keys", () => {
    const recent = new RecentIds({ ttlMs: 60_000, maxEntries: 3 });

    for (const key of ["a", "b", "c", "d", "e"]) recent.add(key);

    expect(recent.size).toBe(3);
    expect(["a", "b", "c", "d", "e"].map((key) => recent.has(key))).toEqual([false, false, true, true, true]);
  });

  it("keeps a re-added key as the newest when evicting", () => {
    const recent = new RecentIds({ ttlMs: 60_000, maxEntries: 2 });

    recent.add("a");
    recent.add("b");
    recent.add("a");
    recent.add("c");

    expect(recent.has("a")).toBe(true);
    expect(recent.has("b")).toBe(false);
    expect(recent.has("c")).toBe(true);
  });

  it("defaults to a bound of 10 000 keys", () => {
    const recent = new RecentIds({ ttlMs: 60_000 });

    for (let i = 0; i < 10_050; i++) recent.add(`k${i}`);

    expect(recent.size).toBe(10_000);
    expect(recent.has("k49")).toBe(false);
    expect(recent.has("k50")).toBe(true);
  });

  it("purges expired keys from its size", () => {
    const clock = fakeClock();
    const recent = new RecentIds({ ttlMs: 1_000, now: clock.now });

    recent.add("a");
    clock.advance(500);
    recent.add("b");
    clock.advance(600);

    expect(recent.size).toBe(1);
    expect(recent.has("b")).toBe(true);
  });

  it("remembers nothing when the time to live is 0", () => {
    const recent = new RecentIds({ ttlMs: 0 });

    recent.add("a");

    expect(recent.has("a")).toBe(false);
    expect(recent.size).toBe(0);
  });

  it.each([
    [{ ttlMs: -1 }],
    [{ ttlMs: Number.NaN }],
    [{ ttlMs: 1_000, maxEntries: 0 }],
    [{ ttlMs: 1_000, maxEntries: 1.5 }],
  ])("rejects invalid options %j", (options) => {
    expect(() => new RecentIds(options)).toThrow(RangeError);
  });
});
