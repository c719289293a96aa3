/**
 * What log shippers wrap around the line a tool printed, one small entry per known shape. Every entry
 * is recognized by its whole shape (a closed set of keys, or the keys a shipper adds beside a parsed
 * record), never by one key: an application's own JSON log line that merely carries a record in one of
 * its fields (`{"level":"info","message":"{\"process_exec\":…}"}`) is no envelope, so the record inside
 * stays text and never speaks for the monitor.
 */
import type { ContainerInfo, WorkloadInfo } from "../model.js";
import {
  isObject,
  type JsonObject,
  normalizeContainerId,
  objectField,
  parseJsonObject,
  stringField,
} from "./fields.js";

/** Names of the envelopes, as shown in the README's formats table. */
export type EnvelopeName =
  | "cri"
  | "docker-json-file"
  | "firelens"
  | "fluent-bit-kubernetes"
  | "eventbridge"
  | "shipper-message";

/** What an envelope says about the workload; the record's own fields always win over it. */
export interface EnvelopeMeta {
  container?: ContainerInfo;
  workload?: Partial<WorkloadInfo>;
}

export interface Unwrapped {
  envelope: EnvelopeName;
  /** The wrapped line, or the parsed record as JSON text when the shipper already parsed it. */
  text: string;
  meta?: EnvelopeMeta;
}

/** `<RFC 3339 time> <stream> <F|P> <line>` (CRI log format, kubelet/containerd/CRI-O). */
const CRI_LINE = /^(\d{4}-\d{2}-\d{2}T\S+) (stdout|stderr) ([FP])(?::\S*)? /;

/** Docker json-file driver: one object per line, nothing else in it. */
const DOCKER_KEYS = new Set(["log", "stream", "time", "attrs"]);

/**
 * FireLens (Fluent Bit or Fluentd for ECS): the Fluentd docker log driver's keys plus the ECS metadata
 * FireLens adds (aws/aws-for-fluent-bit troubleshooting/debugging.md, ecs/ecs-metadata.conf), the
 * driver's partial-message keys, and an ECS service when a config adds one.
 */
const FIRELENS_KEYS = new Set([
  "log",
  "source",
  "container_id",
  "container_name",
  "ecs_cluster",
  "ecs_task_arn",
  "ecs_task_definition",
  "ec2_instance_id",
  "ecs_service",
  "partial_message",
  "partial_id",
  "partial_ordinal",
  "partial_last",
]);

/**
 * Keys Fluent Bit's tail input, CRI/docker parsers and kubernetes filter put beside the record
 * (fluent/fluent-bit plugins/filter_kubernetes, Container Insights application-log.conf). With
 * `Merge_Log On` and no `Merge_Log_Key` the parsed record's own keys sit beside these.
 */
const FLUENT_BIT_KEYS = new Set([
  "kubernetes",
  "log",
  "log_processed",
  "stream",
  "time",
  "_p",
  "logtag",
  "date",
  "@timestamp",
  "docker",
  "kubernetes_cluster",
  "host",
]);

/** EventBridge event envelope (docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html). */
const EVENTBRIDGE_KEYS = new Set([
  "version",
  "id",
  "detail-type",
  "source",
  "account",
  "time",
  "region",
  "resources",
  "detail",
]);
const EVENTBRIDGE_REQUIRED = [
  "version",
  "id",
  "detail-type",
  "source",
  "account",
  "time",
  "region",
  "detail",
];

/** Logstash / Vector / Fluentd-style records whose `message` is the line. */
const MESSAGE_KEYS = new Set([
  "message",
  "@timestamp",
  "timestamp",
  "@version",
  "host",
  "hostname",
  "source_type",
]);

/** A parsed record re-serialized for a parser; bounded so a shipper's huge object cannot cost more than its line. */
const MAX_RECORD_CHARS = 1024 * 1024;

function onlyKeys(root: JsonObject, allowed: ReadonlySet<string>): boolean {
  for (const key in root) if (!allowed.has(key)) return false;
  return true;
}

function lineOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const line = value.endsWith("\n") ? value.slice(0, -1) : value;
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function recordText(record: JsonObject): string | undefined {
  const text = JSON.stringify(record);
  return text.length <= MAX_RECORD_CHARS ? text : undefined;
}

/** `family:revision` or a task definition ARN -> family. */
export function familyOf(taskDefinition: string): string | undefined {
  const resource = taskDefinition.startsWith("arn:")
    ? taskDefinition.slice(taskDefinition.lastIndexOf("/") + 1)
    : taskDefinition;
  const family = resource.replace(/:\d+$/, "");
  return family.length > 0 ? family : undefined;
}

function firelensMeta(root: JsonObject): EnvelopeMeta {
  const taskArn = stringField(root, "ecs_task_arn");
  const definition = stringField(root, "ecs_task_definition");
  const cluster = stringField(root, "ecs_cluster");
  const name = stringField(root, "container_name");
  return {
    container: compactObject({
      id: normalizeContainerId(root.container_id),
      // The Fluentd driver names the Docker container ("/ecs-demo-6-app-a4ea…"); keep it readable.
      name: name?.startsWith("/") ? name.slice(1) : name,
    }),
    workload: compactObject({
      platform: "ecs" as const,
      cluster: cluster !== undefined ? cluster.slice(cluster.lastIndexOf("/") + 1) : undefined,
      task: taskArn,
      family: definition !== undefined ? familyOf(definition) : undefined,
      service: stringField(root, "ecs_service"),
    }),
  };
}

function kubernetesMeta(root: JsonObject): EnvelopeMeta {
  const k8s = objectField(root, "kubernetes");
  const labels = objectField(k8s, "labels");
  const stringLabels: Record<string, string> = {};
  let labelCount = 0;
  if (labels !== undefined) {
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value !== "string" || labelCount >= 64) continue;
      stringLabels[key] = value;
      labelCount++;
    }
  }
  return {
    container: compactObject({
      id: normalizeContainerId(k8s?.docker_id),
      name: stringField(k8s, "container_name"),
      image: stringField(k8s, "container_image"),
    }),
    workload: compactObject({
      namespace: stringField(k8s, "namespace_name"),
      pod: stringField(k8s, "pod_name"),
      node: stringField(k8s, "host"),
      labels: labelCount > 0 ? stringLabels : undefined,
    }),
  };
}

function compactObject<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out as T;
}

/** A JSON envelope: given the parsed root, the wrapped text and what the envelope says, or undefined. */
interface JsonEnvelope {
  name: EnvelopeName;
  unwrap(root: JsonObject): { text: string; meta?: EnvelopeMeta } | undefined;
}

/** The table. Order matters only where shapes overlap: the specific shipper before the plain driver. */
const JSON_ENVELOPES: readonly JsonEnvelope[] = [
  {
    // FireLens: the line in `log`, or (a parser filter with Reserve_Data) the record's keys merged in.
    name: "firelens",
    unwrap(root) {
      if (
        stringField(root, "ecs_task_arn") === undefined &&
        stringField(root, "ecs_task_definition") === undefined
      )
        return undefined;
      const line = lineOf(root.log);
      if (line !== undefined && onlyKeys(root, FIRELENS_KEYS))
        return { text: line, meta: firelensMeta(root) };
      if (root.log !== undefined) return undefined;
      const merged = without(root, FIRELENS_KEYS);
      const text = merged === undefined ? undefined : recordText(merged);
      return text === undefined ? undefined : { text, meta: firelensMeta(root) };
    },
  },
  {
    // Fluent Bit with the kubernetes filter (Container Insights): the original line in `log` when
    // kept, else the parsed record under `log_processed` (Merge_Log_Key) or merged at the top level.
    name: "fluent-bit-kubernetes",
    unwrap(root) {
      if (!isObject(root.kubernetes)) return undefined;
      if (root._p === "P") return undefined;
      const line = lineOf(root.log);
      if (line !== undefined)
        return onlyKeys(root, FLUENT_BIT_KEYS) ? { text: line, meta: kubernetesMeta(root) } : undefined;
      const processed = objectField(root, "log_processed");
      if (processed !== undefined) {
        if (!onlyKeys(root, FLUENT_BIT_KEYS)) return undefined;
        const text = recordText(processed);
        return text === undefined ? undefined : { text, meta: kubernetesMeta(root) };
      }
      if (root.log !== undefined || root.log_processed !== undefined) return undefined;
      const merged = without(root, FLUENT_BIT_KEYS);
      const text = merged === undefined ? undefined : recordText(merged);
      return text === undefined ? undefined : { text, meta: kubernetesMeta(root) };
    },
  },
  {
    name: "docker-json-file",
    unwrap(root) {
      const line = lineOf(root.log);
      return line !== undefined && onlyKeys(root, DOCKER_KEYS) ? { text: line } : undefined;
    },
  },
  {
    name: "eventbridge",
    unwrap(root) {
      if (!onlyKeys(root, EVENTBRIDGE_KEYS) || !EVENTBRIDGE_REQUIRED.every((key) => key in root))
        return undefined;
      const detail = objectField(root, "detail");
      const text = detail === undefined ? undefined : recordText(detail);
      return text === undefined ? undefined : { text };
    },
  },
  {
    name: "shipper-message",
    unwrap(root) {
      const line = lineOf(root.message);
      return line !== undefined && onlyKeys(root, MESSAGE_KEYS) ? { text: line } : undefined;
    },
  },
];

/** The root's keys other than the shipper's; undefined when nothing is left. */
function without(root: JsonObject, shipper: ReadonlySet<string>): JsonObject | undefined {
  const out: JsonObject = {};
  let any = false;
  for (const key in root) {
    if (shipper.has(key)) continue;
    out[key] = root[key];
    any = true;
  }
  return any ? out : undefined;
}

/** The marker keys that can open a JSON envelope; a message with none of them is not parsed here. */
const ENVELOPE_MARKERS = ['"log"', '"message"', '"kubernetes"', '"ecs_task_', '"detail"'];

/**
 * The line (or parsed record) a known envelope wraps, with what the envelope says about the workload;
 * undefined when `message` is not exactly one known envelope. A CRI partial line (`P`) is a fragment,
 * not a record: it is not unwrapped. Pure, never throws.
 */
export function unwrapEnvelope(message: string): Unwrapped | undefined {
  const cri = CRI_LINE.exec(message);
  if (cri !== null)
    return cri[3] === "F" ? { envelope: "cri", text: message.slice(cri[0].length) } : undefined;
  if (!message.startsWith("{") || !ENVELOPE_MARKERS.some((marker) => message.includes(marker)))
    return undefined;
  const root = parseJsonObject(message);
  if (root === null) return undefined;
  for (const envelope of JSON_ENVELOPES) {
    const inner = envelope.unwrap(root);
    if (inner === undefined) continue;
    const text = inner.text.trim();
    if (text.length === 0) return undefined;
    return { envelope: envelope.name, text, ...(inner.meta !== undefined ? { meta: inner.meta } : {}) };
  }
  return undefined;
}
