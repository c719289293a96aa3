/**
 * Readable sources of the sample events: real-shaped log messages, one builder per format.
 * `generate.ts` wraps them into Lambda events exactly as CloudWatch Logs delivers them.
 */

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

export interface TetragonProc {
  binary: string;
  arguments?: string;
  cwd?: string;
  pid?: number;
  uid?: number;
}

const POD = {
  namespace: "payments",
  name: "checkout-api-7d9f6c5b8-x2x7k",
  container: {
    id: "containerd://6f1c2e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
    name: "checkout-api",
    image: {
      id: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/checkout-api@sha256:3b1f0c9e7d2a4b6c8e0f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b`,
      name: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/checkout-api:1.42.0`,
    },
    start_time: "2026-11-28T08:12:44Z",
    pid: 1,
  },
  pod_labels: { app: "checkout-api", "pod-template-hash": "7d9f6c5b8" },
  workload: "checkout-api",
  workload_kind: "Deployment",
};

let execCounter = 0;
function tetragonProcess(proc: TetragonProc, inPod: boolean) {
  execCounter++;
  return {
    exec_id: Buffer.from(`ip-10-0-12-34:${1_000_000 + execCounter}:${40_000 + execCounter}`).toString(
      "base64",
    ),
    pid: proc.pid ?? 40_000 + execCounter,
    uid: proc.uid ?? 0,
    cwd: proc.cwd ?? "/app",
    binary: proc.binary,
    ...(proc.arguments !== undefined ? { arguments: proc.arguments } : {}),
    flags: "execve clone",
    start_time: "2026-11-28T10:15:02.118273645Z",
    auid: 4294967295,
    ...(inPod
      ? { pod: POD, docker: POD.container.id.slice("containerd://".length, "containerd://".length + 31) }
      : {}),
    parent_exec_id: Buffer.from(`ip-10-0-12-34:${999_000 + execCounter}:${39_000 + execCounter}`).toString(
      "base64",
    ),
    tid: proc.pid ?? 40_000 + execCounter,
  };
}

/** A Tetragon JSON export `process_exec` line; `lineage` is parent first, then further ancestors. */
export function tetragonExec(
  proc: TetragonProc,
  lineage: TetragonProc[],
  opts: { inPod?: boolean; time?: string } = {},
): string {
  const inPod = opts.inPod ?? true;
  const [parent, ...ancestors] = lineage;
  return JSON.stringify({
    process_exec: {
      process: tetragonProcess(proc, inPod),
      ...(parent ? { parent: tetragonProcess(parent, inPod) } : {}),
      ...(ancestors.length > 0 ? { ancestors: ancestors.map((a) => tetragonProcess(a, inPod)) } : {}),
    },
    node_name: "ip-10-0-12-34.ec2.internal",
    time: opts.time ?? "2026-11-28T10:15:02.118272104Z",
  });
}

/** A Falco alert with `json_output: true`; only the fields the rule prints are present. */
export function falcoAlert(
  rule: string,
  priority: string,
  fields: Record<string, unknown>,
  time: string,
): string {
  const output = `${time.replace("Z", "000Z")}: ${priority} ${rule} (${Object.entries(fields)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ")})`;
  return JSON.stringify({
    hostname: "ip-10-0-33-17.ec2.internal",
    output,
    output_fields: fields,
    priority,
    rule,
    source: "syscall",
    tags: ["T1105", "container", "maturity_stable", "mitre_command_and_control", "network", "process"],
    time,
  });
}

/** A Datadog-style (Workload Protection / CWS) process exec event, as an agent-side log line. */
export function datadogExec(opts: {
  path: string;
  argv: string[];
  ancestors: string[];
  containerId?: string;
  tags?: string[];
  time: string;
  user?: string;
}): string {
  const name = opts.path.split("/").pop() ?? opts.path;
  const [parent, ...rest] = opts.ancestors;
  return JSON.stringify({
    date: opts.time,
    service: "runtime-security-agent",
    evt: { name: "exec", category: "process", outcome: "success" },
    process: {
      pid: 3187,
      ppid: 3101,
      comm: name.slice(0, 15),
      argv0: name,
      args: opts.argv.join(" "),
      argv: opts.argv,
      user: opts.user ?? "root",
      executable: { path: opts.path, name, inode: 1_052_331 },
      ...(parent ? { parent: { executable: { path: parent, name: parent.split("/").pop() } } } : {}),
      ancestors: [parent, ...rest]
        .filter((p): p is string => Boolean(p))
        .map((p) => ({ executable: { path: p, name: p.split("/").pop() } })),
      ...(opts.containerId ? { container: { id: opts.containerId } } : {}),
    },
    ...(opts.containerId ? { container: { id: opts.containerId } } : {}),
    ...(opts.tags ? { tags: opts.tags } : {}),
  });
}

/** A Kubernetes API-server audit event (EKS control-plane log) for `kubectl exec`. */
export function k8sAuditExec(opts: {
  auditID: string;
  stage: string;
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  subresource?: string;
  time: string;
  code?: number;
}): string {
  const query = new URLSearchParams();
  for (const arg of opts.command) query.append("command", arg);
  query.append("container", opts.container);
  query.append("stdin", "true");
  query.append("stdout", "true");
  query.append("tty", "true");
  const subresource = opts.subresource ?? "exec";
  return JSON.stringify({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Metadata",
    auditID: opts.auditID,
    stage: opts.stage,
    requestURI: `/api/v1/namespaces/${opts.namespace}/pods/${opts.pod}/${subresource}?${query.toString()}`,
    verb: subresource === "log" ? "get" : "create",
    user: {
      username: `arn:aws:sts::${ACCOUNT}:assumed-role/platform-dev/alice`,
      uid: "aws-iam-authenticator:123456789012:AROAEXAMPLEROLEID0001",
      groups: ["system:authenticated"],
      extra: { accessKeyId: ["ASIAEXAMPLEKEYID0001"], sessionName: ["alice"] },
    },
    sourceIPs: ["198.51.100.77"],
    userAgent: "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
    objectRef: {
      resource: "pods",
      namespace: opts.namespace,
      name: opts.pod,
      apiVersion: "v1",
      subresource,
    },
    ...(opts.stage === "RequestReceived" ? {} : { responseStatus: { metadata: {}, code: opts.code ?? 101 } }),
    requestReceivedTimestamp: opts.time,
    stageTimestamp: opts.time.replace(/\.\d+Z$/, ".912345Z"),
    annotations: {
      "authorization.k8s.io/decision": "allow",
      "authorization.k8s.io/reason": 'EKS Access Policy: allowed by ClusterRoleBinding "cluster-admin"',
    },
  });
}

/** One CloudTrail record for ECS Exec (`ecs:ExecuteCommand`), as a CloudTrail-to-CloudWatch-Logs log event. */
export function cloudtrailEcsExec(opts: {
  cluster: string;
  task: string;
  container: string;
  command: string;
  time: string;
  eventID: string;
  sessionId: string;
  errorCode?: string;
}): string {
  return JSON.stringify({
    eventVersion: "1.09",
    userIdentity: {
      type: "AssumedRole",
      principalId: "AROAEXAMPLEROLEID0002:bob",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops-engineer/bob`,
      accountId: ACCOUNT,
      accessKeyId: "ASIAEXAMPLEKEYID0002",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: "AROAEXAMPLEROLEID0002",
          arn: `arn:aws:iam::${ACCOUNT}:role/ops-engineer`,
          accountId: ACCOUNT,
          userName: "ops-engineer",
        },
        attributes: { creationDate: "2026-11-28T09:02:11Z", mfaAuthenticated: "true" },
      },
    },
    eventTime: opts.time,
    eventSource: "ecs.amazonaws.com",
    eventName: "ExecuteCommand",
    awsRegion: REGION,
    sourceIPAddress: "198.51.100.78",
    userAgent: "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6",
    ...(opts.errorCode
      ? {
          errorCode: opts.errorCode,
          errorMessage: "The execute command failed because execute command was not enabled",
        }
      : {}),
    requestParameters: {
      cluster: opts.cluster,
      container: opts.container,
      command: opts.command,
      interactive: true,
      task: opts.task,
    },
    responseElements: opts.errorCode
      ? null
      : {
          clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${opts.cluster}`,
          containerArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container/${opts.cluster}/${opts.task}/5b7e2a1c-9d3f-4e8a-b6c1-2f0e9d8c7b6a`,
          containerName: opts.container,
          interactive: true,
          session: {
            sessionId: opts.sessionId,
            streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/${opts.sessionId}?role=publish_subscribe&cell-number=AAEAAf`,
            tokenValue: "HIDDEN_DUE_TO_SECURITY_REASONS",
          },
          taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${opts.cluster}/${opts.task}`,
        },
    requestID: "8a6f0d2e-4b1c-4e7a-9c3d-1f2e3d4c5b6a",
    eventID: opts.eventID,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: "Management",
    tlsDetails: {
      tlsVersion: "TLSv1.3",
      cipherSuite: "TLS_AES_128_GCM_SHA256",
      clientProvidedHostHeader: `ecs.${REGION}.amazonaws.com`,
    },
  });
}
