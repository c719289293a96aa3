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
