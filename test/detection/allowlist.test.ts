import { describe, expect, it } from "vitest";
import { EMPTY_ALLOWLIST, parseAllowlist } from "../../src/detection/allowlist.js";
import { evaluate } from "../../src/detection/rule.js";
import { AllowlistError } from "../../src/errors.js";
import type { ExecEvent, Finding } from "../../src/model.js";
import { processEvent } from "./factory.js";

function findingOf(event: ExecEvent): Finding {
  const verdict = evaluate(event);
  if (verdict.kind !== "finding") throw new Error(`expected a finding, got ${JSON.stringify(verdict)}`);
  return verdict.finding;
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

const BACKUP = findingOf(
  processEvent(
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
  ),
);

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
  ])("rejects %s, naming origin, entry and field", (_label, text, message) => {
    expect(() => parseAllowlist(text, "ALLOWLIST")).toThrow(AllowlistError);
    expect(() => parseAllowlist(text, "ALLOWLIST")).toThrow(message);
  });
});

describe("Allowlist.match", () => {
  it.each([
    ["utility", [{ utility: "curl" }], HEALTH_CHECK, 0],
    ["utility glob", [{ utility: "c?rl" }], HEALTH_CHECK, 0],
    ["args substring", [{ utility: "curl", args: "/healthz" }], HEALTH_CHECK, 0],
    ["args glob on the whole string", [{ args: "-fsS http://*.svc:8080/healthz" }], HEALTH_CHECK, 0],
    ["args glob that does not cover the whole string", [{ args: "http://*/healthz" }], HEALTH_CHECK, null],
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
    ["image without digest", [{ image: "registry.example.com/ops/backup" }], BACKUP, 0],
    ["parent by path", [{ parent: "/usr/local/bin/backup.sh" }], BACKUP, 0],
    ["parent by name", [{ parent: "backup.sh", utility: "rsync" }], BACKUP, 0],
    ["ancestor", [{ ancestor: "cron" }], BACKUP, 0],
    ["ancestor that is not there", [{ ancestor: "cron" }], HEALTH_CHECK, null],
    ["AND of fields, one failing", [{ utility: "curl", namespace: "kube-system" }], HEALTH_CHECK, null],
    ["field the event lacks", [{ namespace: "*" }], BACKUP, null],
    ["case-sensitive", [{ utility: "CURL" }], HEALTH_CHECK, null],
    ["first matching entry", [{ utility: "nc" }, { utility: "rsync" }, { ancestor: "cron" }], BACKUP, 1],
  ])("%s", (_label, entries, finding, expected) => {
    // Prepare
    const allowlist = parseAllowlist(JSON.stringify(entries), "test");
    // Act + Assess
    expect(allowlist.size).toBe(entries.length);
    expect(allowlist.match(finding)).toBe(expected);
  });

  it("does not suppress when padded arguments exceed the subject cap", () => {
    // Prepare
    const padded = findingOf(
      processEvent({ name: "curl", path: "/usr/bin/curl", args: ["http://x/healthz", "x".repeat(9000)] }),
    );
    const allowlist = parseAllowlist('[{"args": "healthz"}]', "test");
    // Act + Assess
    expect(allowlist.match(padded)).toBeNull();
  });
});
