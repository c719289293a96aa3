import { evaluate } from "../../src/detection/rule.js";
import type { AncestorInfo, ExecEvent, Finding, ProcessInfo } from "../../src/model.js";

const BASE: ExecEvent = {
  process: { name: "curl", path: "/usr/bin/curl", args: [], pid: 4242, user: "1000", cwd: "/app" },
  ancestors: [{ name: "node", path: "/usr/local/bin/node", args: ["server.js"] }],
  container: {
    id: "14c2529eb4498c5d1ffd6915d05bf58a91bdda796af59f41d480d11c099d0479",
    name: "ledger-api",
    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/ledger-api:2026.03.2",
  },
  workload: {
    platform: "eks",
    cluster: "prod-eks",
    namespace: "payments",
    pod: "ledger-api-5f8d9c7b4-m9q2t",
  },
  inContainer: true,
  viaExecSession: false,
  time: "2026-03-15T22:11:07.402Z",
  source: {
    format: "tetragon",
    logGroup: "/aws/containerinsights/prod-eks/tetragon",
    logStream: "ip-10-0-47-181.ec2.internal",
    eventId: "38201736458122409186524375043329081231930148820348764160",
    owner: "123456789012",
  },
};

/** A process event from inside a container: `curl` run by node in /app unless overridden. */
export function processEvent(
  process: Partial<ProcessInfo>,
  overrides: Partial<Omit<ExecEvent, "process">> = {},
): ExecEvent {
  const event = structuredClone(BASE);
  return { ...event, ...overrides, process: { ...event.process, ...process } };
}

/** A utility run by path with arguments, e.g. `run("/usr/bin/curl", "-s", "http://x")`. */
export function run(path: string, ...args: string[]): ExecEvent {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return processEvent({ name, path, args });
}

/** The same event with other ancestors (nearest first). */
export function withAncestors(event: ExecEvent, ancestors: AncestorInfo[]): ExecEvent {
  return { ...event, ancestors };
}

/** An exec session (kubectl exec / ECS Exec) asking for `argv`: no path unless argv[0] has one, no ancestors. */
export function session(...argv: string[]): ExecEvent {
  const [first = "", ...args] = argv;
  const event = structuredClone(BASE);
  return {
    ...event,
    process: {
      name: first.slice(first.lastIndexOf("/") + 1),
      ...(first.includes("/") ? { path: first } : {}),
      args,
    },
    ancestors: [],
    viaExecSession: true,
    sessionKey: "9ec4a1f2-b8d3-4c6e-a701-5f3e2d1c0b9a",
    actor: {
      user: "arn:aws:sts::123456789012:assumed-role/eks-developer/mallory",
      sourceIPs: ["198.51.100.7"],
    },
    source: { ...event.source, format: "k8s-audit", logGroup: "/aws/eks/prod-eks/cluster" },
  };
}

/** The finding `evaluate` makes of `event`; throws when the verdict is not a finding. */
export function findingOf(event: ExecEvent): Finding {
  const verdict = evaluate(event);
  if (verdict.kind !== "finding") throw new Error(`expected a finding, got ${JSON.stringify(verdict)}`);
  return verdict.finding;
}
