import { RULE, type Severity, type Signal } from "../../src/model.js";

/** A complete, clean Signal (no secrets, no control characters), so rendering leaves its JSON as is. */
export function makeSignal(n: number, severity: Severity, overrides: Partial<Signal> = {}): Signal {
  const time = new Date(Date.UTC(2024, 4, 1, 12, 0, n % 60)).toISOString();
  return {
    id: `sig-${String(n).padStart(4, "0")}-${severity}`,
    rule: { ...RULE },
    severity,
    reasons: ["curl downloads to /tmp", "parent is a shell"],
    timestamp: time,
    firstSeen: time,
    lastSeen: time,
    count: 1,
    title: `curl executed in payments/api-${n}`,
    message: "The process `curl` was executed, potentially to download additional tools.",
    utility: { name: "curl", category: "download" },
    process: {
      name: "curl",
      path: "/usr/bin/curl",
      args: ["-sSL", `https://example.com/tool-${n}`, "-o", "/tmp/t"],
    },
    ancestors: [{ name: "sh", path: "/bin/sh" }],
    container: { id: `c0ffee${n}`, name: "api", image: "registry.example.com/payments/api:1.4.2" },
    workload: { platform: "eks", cluster: "prod", namespace: "payments", pod: `api-${n}` },
    inContainer: true,
    viaExecSession: false,
    source: {
      format: "tetragon",
      logGroup: "/aws/containerinsights/prod/application",
      logStream: `tetragon-${n}`,
      eventIds: [`3${String(n).padStart(55, "0")}`],
      owner: "123456789012",
    },
    triage: ["Check who started the pod", "Look for files written under /tmp"],
    links: {
      logStream: "https://console.aws.amazon.com/cloudwatch/home",
      mitreTactic: "https://attack.mitre.org/tactics/TA0011/",
      mitreTechnique: "https://attack.mitre.org/techniques/T1105/",
      rule: "https://example.com/rules/net_util_in_container",
    },
    ...overrides,
  };
}

const SEVERITY_CYCLE: readonly Severity[] = ["low", "medium", "high", "critical", "medium"];

/** `count` signals cycling through all severities; `from` keeps ids distinct across calls. */
export function mixedSignals(count: number, from = 0): Signal[] {
  return Array.from({ length: count }, (_, i) =>
    makeSignal(from + i, SEVERITY_CYCLE[i % SEVERITY_CYCLE.length]!),
  );
}
