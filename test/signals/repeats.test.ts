import { describe, expect, it } from "vitest";
import { CHANNEL_RULE, type Finding } from "../../src/model.js";
import { buildSignals } from "../../src/signals/build.js";
import {
  COMPARED_FIELDS,
  sameEvidence,
  sameEvidenceButWorkload,
  sameValue,
} from "../../src/signals/repeats.js";
import { again, finding } from "./finding-factory.js";

/** A finding with a workload, an actor and a session, so that every compared field has a value to change. */
function full(): Finding {
  const base = finding();
  base.event.workload = {
    ...base.event.workload,
    task: "arn:aws:ecs:eu-west-1:123456789012:task/prod/0abc",
    owner: { kind: "ReplicaSet", name: "api-7d9f6c5b8" },
    labels: { app: "api", "pod-template-hash": "7d9f6c5b8" },
    service: "api",
    family: "api-task",
  };
  base.event.actor = { user: "alice", sourceIPs: ["192.0.2.1"], userAgent: "kubectl/v1.30" };
  base.event.sessionKey = "session-1";
  base.event.source.vouchedBy = "tetragon=*:*";
  return base;
}

/** A repeat of `base` (another time and event id) with `change` applied to it. */
function changed(base: Finding, change: (f: Finding) => void): Finding {
  const repeat = again(
    base,
    "38000000000000000000000000000000000000000000000000000099",
    "2024-05-01T09:00:00Z",
  );
  const copy: Finding = { ...repeat, reasons: [...repeat.reasons], utility: { ...repeat.utility } };
  change(copy);
  return copy;
}

const other = (value: unknown): unknown =>
  typeof value === "string" ? `${value}-other` : Array.isArray(value) ? [...value, "other"] : { other: "1" };

/** One change per field the evidence is made of; each must keep the repeat apart. */
const CHANGES: [string, (f: Finding) => void][] = [
  [
    "rule",
    (f) => {
      f.rule = CHANNEL_RULE;
    },
  ],
  [
    "utility name",
    (f) => {
      f.utility.name = "wget";
    },
  ],
  [
    "reasons",
    (f) => {
      f.reasons.push("another reason");
    },
  ],
  [
    "utility process name",
    (f) => {
      f.process = { ...f.process, name: "wget" };
    },
  ],
  [
    "utility process path",
    (f) => {
      f.process = { ...f.process, path: "/usr/bin/curl" };
    },
  ],
  [
    "utility process args",
    (f) => {
      f.process = { ...f.process, args: ["-s"] };
    },
  ],
  [
    "event process name",
    (f) => {
      f.event.process = { ...f.event.process, name: "sh" };
    },
  ],
  [
    "event process path",
    (f) => {
      f.event.process = { ...f.event.process, path: "/bin/sh" };
    },
  ],
  [
    "event process args",
    (f) => {
      f.event.process = { ...f.event.process, args: ["-c", "x"] };
    },
  ],
  [
    "ancestor count",
    (f) => {
      f.event.ancestors.pop();
    },
  ],
  ...COMPARED_FIELDS.ancestor.map((field): [string, (f: Finding) => void] => [
    `ancestor ${field}`,
    (f) => {
      const parent = f.event.ancestors[1] as Record<string, unknown>;
      parent[field] = other(parent[field]);
    },
  ]),
  ...COMPARED_FIELDS.container.map((field): [string, (f: Finding) => void] => [
    `container ${field}`,
    (f) => {
      f.event.container[field] = `${f.event.container[field]}-other`;
    },
  ]),
  ...COMPARED_FIELDS.workload.map((field): [string, (f: Finding) => void] => [
    `workload ${field}`,
    (f) => {
      const workload = f.event.workload as unknown as Record<string, unknown>;
      workload[field] =
        field === "platform"
          ? "ecs"
          : field === "owner"
            ? { kind: "Job", name: "x" }
            : other(workload[field]);
    },
  ]),
  ...COMPARED_FIELDS.actor.map((field): [string, (f: Finding) => void] => [
    `actor ${field}`,
    (f) => {
      const actor = f.event.actor as Record<string, unknown>;
      actor[field] = other(actor[field]);
    },
  ]),
  ["no actor", (f) => void delete f.event.actor],
  [
    "session",
    (f) => {
      f.event.sessionKey = "session-2";
    },
  ],
  [
    "source format",
    (f) => {
      f.event.source.format = "falco";
    },
  ],
  [
    "log group",
    (f) => {
      f.event.source.logGroup = "/another/group";
    },
  ],
  [
    "log stream",
    (f) => {
      f.event.source.logStream = "another-stream";
    },
  ],
  [
    "account",
    (f) => {
      f.event.source.owner = "210987654321";
    },
  ],
  [
    "vouched by",
    (f) => {
      f.event.source.vouchedBy = "tetragon=other:*";
    },
  ],
];

describe("sameEvidence: which findings repeat an earlier one", () => {
  it("takes the same execution in another pod for the same evidence but for the workload", () => {
    const base = full();
    const elsewhere = changed(base, (f) => {
      f.event.workload = { ...f.event.workload, pod: "api-other-pod", node: "another-node", labels: {} };
    });
    expect(sameEvidence(base, elsewhere)).toBe(false);
    expect(sameEvidenceButWorkload(base, elsewhere)).toBe(true);
    for (const [, change] of CHANGES.filter(([name]) => !name.startsWith("workload"))) {
      expect(sameEvidenceButWorkload(base, changed(base, change))).toBe(false);
    }
  });

  it("takes a repeat at another time, event id, pid, exec id and with other notes for the same evidence", () => {
    const base = full();
    const repeat = changed(base, (f) => {
      f.event.process.pid = 99;
      f.event.lineage = { execId: "b3RoZXI=" };
      f.event.notes = ["another note"];
      f.severity = "critical";
    });
    expect(sameEvidence(base, repeat)).toBe(true);
    expect(sameEvidence(base, structuredClone(base))).toBe(true);
  });

  it.each(CHANGES)("keeps a repeat apart when its %s differs", (_name, change) => {
    const base = full();
    expect(sameEvidence(base, changed(base, change))).toBe(false);
    expect(sameEvidence(changed(base, change), base)).toBe(false);
  });

  it("lists every field of the model's ancestors, containers, workloads and actors", () => {
    expect([...COMPARED_FIELDS.workload].sort()).toEqual(
      [
        "cluster",
        "family",
        "labels",
        "namespace",
        "node",
        "owner",
        "platform",
        "pod",
        "service",
        "task",
      ].sort(),
    );
    expect(COMPARED_FIELDS.container).toEqual(["id", "name", "image"]);
    expect(COMPARED_FIELDS.ancestor).toEqual(["name", "path", "args"]);
    expect(COMPARED_FIELDS.actor).toEqual(["user", "sourceIPs", "userAgent"]);
  });
});

describe("sameValue", () => {
  it.each([
    [1, 1, true],
    ["a", "a", true],
    [null, null, true],
    [undefined, null, false],
    [Number.NaN, Number.NaN, false],
    [[1, "a"], [1, "a"], true],
    [[1], [1, 2], false],
    [{ a: 1, b: [2] }, { a: 1, b: [2] }, true],
    [{ a: 1, b: [2] }, { b: [2], a: 1 }, false],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [{ a: [] }, { a: {} }, false],
    [new Date(0), new Date(0), false],
  ])("%j and %j: %s", (a, b, same) => {
    expect(sameValue(a, b)).toBe(same);
  });
});

const inAnotherPod = (change: (f: Finding) => void) => (f: Finding) => {
  change(f);
  f.event.workload.pod = "api-other-pod";
};

describe.each([
  ["a repeat", (change: (f: Finding) => void) => change],
  ["the same execution in another pod", inAnotherPod],
])("buildSignals: %s that differs in one field is redacted on its own", (_what, where) => {
  it.each(CHANGES)("%s", (_name, change) => {
    // Prepare: the repeat comes second but is earlier, so it is its signal's representative when
    // the two aggregate: a repeat wrongly taken for the first would show the first's fields.
    const base = full();
    const repeat = changed(base, where(change));

    // Act
    const together = buildSignals([base, repeat]);
    const alone = buildSignals([repeat]);

    // Assess: the signal holding the repeat's event shows what the repeat alone shows.
    const mine = together.find((s) => s.source.eventIds.includes(repeat.event.source.eventId));
    const { id: _a, count: _b, lastSeen: _c, reasons, source, ...fields } = mine ?? alone[0]!;
    const {
      id: _d,
      count: _e,
      lastSeen: _f,
      reasons: aloneReasons,
      source: aloneSource,
      ...aloneFields
    } = alone[0]!;
    expect(fields).toEqual(aloneFields);
    expect({ ...source, eventIds: [] }).toEqual({ ...aloneSource, eventIds: [] });
    expect(reasons).toEqual(expect.arrayContaining(aloneReasons));
  });
});
