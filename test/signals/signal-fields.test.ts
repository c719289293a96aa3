import { describe, expect, it } from "vitest";
import type { Actor, AncestorInfo, LedgerNote, Signal, WorkloadInfo } from "../../src/model.js";
import { RULE } from "../../src/model.js";
import { redactSignal } from "../../src/signals/redact.js";
import { renderJson } from "../../src/signals/render.js";
import { mapSignal } from "../../src/signals/signal-fields.js";

/** Enums and the rule's identity: the only strings no pass touches. */
const FIXED_STRINGS = [
  "rule.id",
  "rule.name",
  "rule.tactic",
  "rule.technique",
  "severity",
  "utility.category",
  "workload.platform",
  "source.format",
];

/**
 * A signal with every field set, optional ones included: `Required<…>` makes a field added to the
 * model fail to compile here until it is set, so the walks below always cover it. Every string that
 * is not an enum is `text(path)`.
 */
function fullSignal(text: (path: string) => string): Signal {
  const ancestor: Required<AncestorInfo> = {
    name: text("ancestors.name"),
    path: text("ancestors.path"),
    args: [text("ancestors.args"), text("ancestors.args")],
  };
  const workload: Required<WorkloadInfo> = {
    platform: "eks",
    cluster: text("workload.cluster"),
    namespace: text("workload.namespace"),
    pod: text("workload.pod"),
    task: text("workload.task"),
    node: text("workload.node"),
    owner: { kind: text("workload.owner.kind"), name: text("workload.owner.name") },
    labels: { [text("workload.labels.key")]: text("workload.labels.value") },
    service: text("workload.service"),
    family: text("workload.family"),
  };
  const actor: Required<Actor> = {
    user: text("actor.user"),
    sourceIPs: [text("actor.sourceIPs")],
    userAgent: text("actor.userAgent"),
  };
  const source: Required<Signal["source"]> = {
    format: "tetragon",
    logGroup: text("source.logGroup"),
    logStream: text("source.logStream"),
    eventIds: [text("source.eventIds")],
    owner: text("source.owner"),
    vouchedBy: text("source.vouchedBy"),
  };
  const ledger: Required<LedgerNote> = {
    group: text("ledger.group"),
    repeats: 3,
    since: text("ledger.since"),
    pagingCapped: true,
  };
  const signal: Required<Signal> = {
    id: text("id"),
    rule: RULE,
    severity: "high",
    reasons: [text("reasons"), text("reasons")],
    timestamp: text("timestamp"),
    firstSeen: text("firstSeen"),
    lastSeen: text("lastSeen"),
    count: 2,
    title: text("title"),
    message: text("message"),
    utility: { name: text("utility.name"), category: "download" },
    process: { name: text("process.name"), path: text("process.path"), args: [text("process.args")] },
    ancestors: [ancestor, { ...ancestor }],
    container: { id: text("container.id"), name: text("container.name"), image: text("container.image") },
    workload,
    inContainer: true,
    viaExecSession: true,
    actor,
    source,
    triage: [text("triage")],
    truncated: true,
    links: {
      logStream: text("links.logStream"),
      mitreTactic: text("links.mitreTactic"),
      mitreTechnique: text("links.mitreTechnique"),
      rule: text("links.rule"),
    },
    ledger,
  };
  return signal;
}

/** Every string in `value` with its path (array indexes dropped, label keys as `.key`). */
function leaves(value: unknown, path = ""): [string, string][] {
  if (typeof value === "string") return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item) => leaves(item, path));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => {
      const at = path === "" ? key : `${path}.${key}`;
      return path === "workload.labels"
        ? [[`${path}.key`, key] as [string, string], ...leaves(item, `${path}.value`)]
        : leaves(item, at);
    });
  }
  return [];
}

const SECRET = "AKIAIOSFODNN7EXAMPLE";

describe("the signal's field declarations", () => {
  it("lead every pass to every string of a signal with all fields set", () => {
    const signal = fullSignal((path) => path);
    const visited = mapSignal(signal, {
      text: () => "visited",
      args: (values) => values.map(() => "visited"),
    });

    const untouched = leaves(visited).filter(([, value]) => value !== "visited");
    expect(untouched.map(([path]) => path)).toEqual(FIXED_STRINGS);
    expect(leaves(visited).map(([path]) => path)).toEqual(leaves(signal).map(([path]) => path));
  });

  it("let no secret in any field through redactSignal", () => {
    const signal = fullSignal((path) => `${path} ${SECRET}`);

    const redacted = redactSignal(signal);

    const all = leaves(redacted);
    expect(all.length).toBe(leaves(signal).length);
    expect(all.filter(([, value]) => value.includes(SECRET))).toEqual([]);
    expect(redacted).toMatchObject({ count: 2, inContainer: true, truncated: true, ledger: { repeats: 3 } });
  });

  it("let no field escape the renderer's truncation", () => {
    const long = "z".repeat(300_000);
    const signal = fullSignal((path) => `${path} ${long}`);

    const rendered = JSON.parse(renderJson(signal)) as Signal;

    const uncut = leaves(rendered).filter(([, value]) => value.includes(long));
    expect(uncut).toEqual([]);
    expect(rendered.truncated).toBe(true);
  });

  it("drop a key no declaration names", () => {
    const signal = { ...fullSignal((path) => path), smuggled: SECRET } as Signal;

    expect(redactSignal(signal)).not.toHaveProperty("smuggled");
  });
});
