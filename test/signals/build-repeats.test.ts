import { describe, expect, it } from "vitest";
import { buildSignals } from "../../src/signals/build.js";
import { again, execEvent, finding } from "./finding-factory.js";

describe("buildSignals on repeats of one execution", () => {
  it("redacts each repeat's own time and event id, as it would the first's", () => {
    // Prepare: the repeat's event id carries an access key id, which redaction masks.
    const first = finding();
    const repeat = again(first, "id-AKIAIOSFODNN7EXAMPLE", "2026-03-15T22:11:09.000Z");

    // Act
    const [together] = buildSignals([first, repeat]);
    const [alone] = buildSignals([repeat]);

    // Assess
    expect(together?.count).toBe(2);
    expect(together?.lastSeen).toBe(alone?.firstSeen);
    expect(together?.source.eventIds).toContain(alone?.source.eventIds[0]);
    expect(JSON.stringify(together)).not.toContain("AKIAIOSFODNN7EXAMPLE");
  });

  it("gives each repeat the same signal as the first, whatever the order, and keeps other containers apart", () => {
    const first = finding();
    const repeats = Array.from({ length: 30 }, (_, i) =>
      again(first, String(1000 + i), `2026-03-15T22:11:${String(10 + i).padStart(2, "0")}.000Z`),
    );
    const elsewhere = finding({
      event: execEvent({ container: { id: "containerd://other", name: "api", image: "api:1" } }),
    });

    const forward = buildSignals([first, ...repeats, elsewhere]);
    const backward = buildSignals([elsewhere, ...repeats].reverse().concat(first));

    expect(forward).toEqual(backward);
    expect(forward.map((s) => s.count).sort()).toEqual([1, 31]);
  });
});

describe("buildSignals on one signal of many repeats of several evidences", () => {
  it("keeps the first event ids in time order, the highest severity first and the union of reasons", () => {
    // Prepare: 60 repeats in each of two pods of one container (one signal), the batch out of time order,
    // one event id logged twice.
    const high = finding({ reasons: ["reason a", "shared reason"] });
    const critical = finding({ severity: "critical", reasons: ["reason b", "shared reason"] });
    critical.event.workload.pod = "api-other";
    const time = (i: number) =>
      `2026-03-15T22:${String(10 + Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}.000Z`;
    const repeats = Array.from({ length: 120 }, (_, i) =>
      again(i % 2 === 0 ? high : critical, String(5000 - i), time(i)),
    );
    const batch = [...repeats.slice(60).reverse(), ...repeats.slice(0, 60), again(high, "4999", time(7))];

    // Act
    const signals = buildSignals(batch);

    // Assess
    expect(signals).toHaveLength(1);
    const [signal] = signals;
    expect(signal?.count).toBe(121);
    expect(signal?.severity).toBe("critical");
    expect(signal?.workload.pod).toBe("api-other");
    expect(signal?.reasons).toEqual(["reason b", "shared reason", "reason a"]);
    expect(signal?.firstSeen).toBe(time(0));
    expect(signal?.lastSeen).toBe(time(119));
    expect(signal?.source.eventIds).toEqual(Array.from({ length: 50 }, (_, i) => String(5000 - i)));
    expect(buildSignals([...batch].reverse())).toEqual(signals);
  });
});
