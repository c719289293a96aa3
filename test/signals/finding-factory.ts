import type { ExecEvent, Finding, Severity, Utility } from "../../src/model.js";

/** A realistic EKS exec event (Tetragon-shaped): curl run from /tmp by a shell in a pod. */
export function execEvent(overrides: Partial<ExecEvent> = {}): ExecEvent {
  const base: ExecEvent = {
    process: {
      name: "curl",
      path: "/tmp/curl",
      args: ["-s", "-o", "/tmp/x", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"],
      pid: 4242,
      user: "root",
      cwd: "/app",
    },
    ancestors: [
      {
        name: "sh",
        path: "/bin/sh",
        args: ["-c", "/tmp/curl -s -o /tmp/x http://169.254.169.254/latest/meta-data/"],
      },
      { name: "node", path: "/usr/local/bin/node", args: ["server.js"] },
      {
        name: "containerd-shim-runc-v2",
        path: "/usr/bin/containerd-shim-runc-v2",
        args: ["-namespace", "k8s.io"],
      },
    ],
    container: {
      id: "containerd://3f2a9c1b0d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd",
      name: "api",
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api:1.4.2",
    },
    workload: {
      platform: "eks",
      cluster: "prod-eks",
      namespace: "payments",
      pod: "api-7d9f",
      node: "ip-10-0-1-23.eu-west-1.compute.internal",
    },
    inContainer: true,
    viaExecSession: false,
    time: "2024-05-01T10:00:00.123456789Z",
    source: {
      format: "tetragon",
      logGroup: "/aws/containerinsights/prod-eks/tetragon",
      logStream: "tetragon/ip-10-0-1-23[1]",
      eventId: "38000000000000000000000000000000000000000000000000000001",
      owner: "123456789012",
    },
  };
  return { ...structuredClone(base), ...overrides };
}

const CURL: Utility = { name: "curl", category: "download" };

/** A Finding on `event` (default: {@link execEvent}); the utility process defaults to the event's process. */
export function finding(
  overrides: { event?: ExecEvent; utility?: Utility; severity?: Severity; reasons?: string[] } = {},
): Finding {
  const event = overrides.event ?? execEvent();
  return {
    event,
    utility: overrides.utility ?? CURL,
    process: event.process,
    severity: overrides.severity ?? "high",
    reasons: overrides.reasons ?? [
      "the arguments reach a cloud credential endpoint (169.254.169.254)",
      "the utility lies in a writable place (/tmp/curl)",
      "a network utility ran in a container",
    ],
  };
}

/** The same finding as logged at another time / log event id. */
export function again(base: Finding, eventId: string, time: string): Finding {
  const event = structuredClone(base.event);
  event.source.eventId = eventId;
  event.time = time;
  return { ...base, event, process: event.process };
}
