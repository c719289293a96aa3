import type { AncestorInfo, ExecEvent, Lineage, LogContext, Platform, SourceParser } from "../model.js";
import { ANCESTORS_READ } from "../model.js";
import {
  ancestor,
  arrayField,
  compact,
  eksClusterFromLogGroup,
  executableName,
  isObject,
  isoTime,
  type JsonObject,
  normalizeContainerId,
  numberField,
  objectField,
  parseJsonObject,
  shared,
  sourceRef,
  splitTetragonArguments,
  stringField,
} from "./fields.js";

/** Top-level keys of Tetragon's export events (api/v1/tetragon/events.proto, the event oneof). */
const EVENT_KEYS = [
  "process_exec",
  "process_exit",
  "process_kprobe",
  "process_tracepoint",
  "process_uprobe",
  "process_lsm",
  "process_loader",
  "process_throttle",
  "process_usdt",
] as const;

const QUOTED_KEYS = EVENT_KEYS.map((key) => `"${key}"`);

function sniff(message: string): boolean {
  // One scan rejects almost every other message; the exact keys keep "process_id"-style JSON out.
  if (!message.includes('"process_')) return false;
  return QUOTED_KEYS.some((key) => message.includes(key));
}

function parse(message: string, ctx: LogContext): ExecEvent[] | null {
  const root = parseJsonObject(message);
  return root === null ? null : tetragonEventsOf(root, ctx);
}

/** What {@link tetragon}'s parse makes of a message whose parsed JSON is `root`. Never throws. */
export function tetragonEventsOf(root: JsonObject, ctx: LogContext): ExecEvent[] | null {
  try {
    const exec = objectField(root, "process_exec");
    if (exec === undefined) {
      // Another Tetragon event (exit, kprobe…) is ours but carries no execution.
      return EVENT_KEYS.some((key) => isObject(root[key])) ? [] : null;
    }
    const event = toExecEvent(root, exec, ctx);
    return event === null ? null : [event];
  } catch {
    return null;
  }
}

function toExecEvent(root: JsonObject, exec: JsonObject, ctx: LogContext): ExecEvent | null {
  const proc = objectField(exec, "process");
  const binary = stringField(proc, "binary");
  if (proc === undefined || binary === undefined) return null;
  const name = shared(executableName(binary));
  if (name.length === 0) return null;

  const pod = objectField(proc, "pod");
  const podContainer = objectField(pod, "container");
  const containerId = shared(normalizeContainerId(podContainer?.id) ?? normalizeContainerId(proc.docker));
  const podName = shared(stringField(pod, "name"));
  const namespace = shared(stringField(pod, "namespace"));
  const isPod = podName !== undefined || namespace !== undefined || podContainer !== undefined;

  const args = argumentsOf(proc);
  const uid = numberField(proc, "uid");
  const userName = stringField(objectField(proc, "user"), "name");
  const notes = notesOf(proc, isPod, name);
  // Named fields rather than a spread: V8 builds a spread-then-extended literal on a slow path, and
  // this runs for every utility event.
  const { platform, cluster } = platformOf(root, isPod, containerId !== undefined, ctx);

  return compact<ExecEvent>({
    process: compact({
      name,
      path: shared(executablePath(proc, binary)),
      args,
      pid: numberField(proc, "pid"),
      user: shared(userName ?? (uid !== undefined ? String(uid) : undefined)),
      cwd: shared(stringField(proc, "cwd")),
    }),
    ancestors: ancestorsOf(exec),
    container: compact({
      id: containerId,
      name: shared(stringField(podContainer, "name")),
      image: shared(stringField(objectField(podContainer, "image"), "name")),
    }),
    workload: compact({
      platform,
      cluster: shared(cluster),
      namespace,
      pod: podName,
      node: shared(stringField(root, "node_name")),
      owner: ownerOf(pod),
      labels: labelsOf(objectField(pod, "pod_labels")),
    }),
    inContainer: isPod || containerId !== undefined,
    viaExecSession: false,
    time: isoTime(ctx.timestamp, root.time),
    source: sourceRef("tetragon", ctx),
    lineage: lineageOf(exec, proc),
    notes: notes.length > 0 ? notes : undefined,
  });
}

/** Labels a pod can carry are many; a signal needs a few. */
const MAX_LABELS = 64;

function labelsOf(labels: JsonObject | undefined): Record<string, string> | undefined {
  if (labels === undefined) return undefined;
  const out: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== "string" || count >= MAX_LABELS) continue;
    out[key] = shared(value);
    count++;
  }
  return count > 0 ? out : undefined;
}

/**
 * `pod.workload` + `pod.workload_kind` (Tetragon 1.x): the controller that owns the pod. Exports from
 * before `workload_kind` (cilium/tetragon 4aa4961, 2023-09) carry `workload` alone; its kind then follows
 * Tetragon's own rule (pkg/podhelpers/workload.go): the pod's own name means a bare Pod, a ReplicaSet
 * name less the pod-template-hash a Deployment; any other controller is of kind "unknown".
 */
function ownerOf(pod: JsonObject | undefined): { kind: string; name: string } | undefined {
  const name = stringField(pod, "workload");
  if (name === undefined) return undefined;
  const kind = stringField(pod, "workload_kind");
  if (kind !== undefined) return { kind: shared(kind), name: shared(name) };
  const podName = stringField(pod, "name");
  if (podName === name) return { kind: "Pod", name: shared(name) };
  const hash = stringField(objectField(pod, "pod_labels"), "pod-template-hash");
  if (hash !== undefined && podName?.startsWith(`${name}-${hash}-`))
    return { kind: "Deployment", name: shared(name) };
  return { kind: "unknown", name: shared(name) };
}

/**
 * The exec ids that link this event to the other events of its batch. Without the `ancestors` list
 * (Tetragon's default: --enable-process-ancestors off) the batch step completes the chain from them.
 */
function lineageOf(exec: JsonObject, proc: JsonObject): Lineage | undefined {
  const lineage = compact<Lineage>({
    complete: Array.isArray(exec.ancestors) ? true : undefined,
    execId: stringField(proc, "exec_id"),
    parentExecId: stringField(proc, "parent_exec_id") ?? stringField(objectField(exec, "parent"), "exec_id"),
    grandparentExecId: stringField(objectField(exec, "parent"), "parent_exec_id"),
  });
  return lineage.execId !== undefined || lineage.parentExecId !== undefined ? lineage : undefined;
}

/** A binary with no link on any file system (memfd_create, deleted after exec) has no usable path. */
function isFileless(proc: JsonObject | undefined): boolean {
  const inode = objectField(objectField(objectField(proc, "binary_properties"), "file"), "inode");
  return inode !== undefined && numberField(inode, "links") === 0;
}

/** The binary, marked " (deleted)" as the kernel marks an unlinked executable, when Tetragon says it has no link. */
function executablePath(proc: JsonObject | undefined, binary: string): string {
  if (!isFileless(proc) || binary.endsWith(" (deleted)") || binary.includes("memfd:")) return binary;
  return `${binary} (deleted)`;
}

const NOTABLE_CAPS = ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SYS_MODULE"];

/** What in_init_tree, binary_properties and process_credentials say that a responder should know. */
function notesOf(proc: JsonObject, isPod: boolean, name: string): string[] {
  const notes: string[] = [];
  if (isPod && proc.in_init_tree === false) {
    notes.push(
      `${name} runs outside the container's init tree: it was started by an exec into the container (kubectl exec, crictl or docker exec, nsenter)`,
    );
  }
  const properties = objectField(proc, "binary_properties");
  if (isFileless(proc)) {
    notes.push(
      `${name} has no link on any file system (fileless execution: memfd_create or deleted after start)`,
    );
  }
  const setuid = numberField(properties, "setuid");
  if (setuid !== undefined) notes.push(`${name} is set-user-ID: it runs as uid ${setuid}`);
  const changed = arrayField(properties, "privileges_changed")?.filter(
    (v): v is string => typeof v === "string",
  );
  if (changed !== undefined && changed.length > 0) {
    notes.push(`${name} raised its privileges at exec (${changed.slice(0, 4).join(", ")})`);
  }
  const credentials = objectField(proc, "process_credentials");
  const uid = numberField(credentials, "uid");
  const euid = numberField(credentials, "euid");
  if (uid !== undefined && euid !== undefined && uid !== euid) {
    notes.push(`${name} runs with effective uid ${euid} although its uid is ${uid}`);
  }
  const effective = arrayField(objectField(credentials, "caps"), "effective");
  const caps = NOTABLE_CAPS.filter((cap) => effective?.includes(cap));
  if (caps.length > 0) notes.push(`${name} runs with the capabilities ${caps.join(", ")}`);
  return notes;
}

function argumentsOf(proc: JsonObject | undefined): string[] {
  const raw = stringField(proc, "arguments");
  return raw === undefined ? [] : splitTetragonArguments(raw);
}

/** The parent and, when enabled, the `ancestors` list (nearest first); also used by the batch correlation. */
export function ancestorsOf(exec: JsonObject): AncestorInfo[] {
  const chain: unknown[] = [exec.parent, ...(arrayField(exec, "ancestors") ?? [])];
  const out: AncestorInfo[] = [];
  for (const item of chain) {
    if (out.length >= ANCESTORS_READ) break;
    if (!isObject(item)) continue;
    const binary = stringField(item, "binary");
    const args = stringField(item, "arguments") !== undefined ? argumentsOf(item) : undefined;
    const path = binary === undefined ? undefined : shared(executablePath(item, binary));
    out.push(ancestor(path, binary === undefined ? "" : shared(executableName(binary)), args));
  }
  // Without the spare capacity of an array grown by push: events outlive their batch's parse.
  return out.slice();
}

let lastLogGroup: string | undefined;
let lastLogGroupCluster: string | undefined;

/** {@link eksClusterFromLogGroup}, computed once for a run of events of one log group. */
function clusterOfLogGroup(logGroup: string): string | undefined {
  if (logGroup !== lastLogGroup) {
    lastLogGroupCluster = eksClusterFromLogGroup(logGroup);
    lastLogGroup = logGroup;
  }
  return lastLogGroupCluster;
}

function platformOf(
  root: JsonObject,
  isPod: boolean,
  hasContainerId: boolean,
  ctx: LogContext,
): { platform: Platform; cluster?: string } {
  if (!isPod) return { platform: hasContainerId ? "docker" : "unknown" };
  const labels = objectField(root, "node_labels");
  const labelCluster = stringField(labels, "alpha.eksctl.io/cluster-name");
  const logGroupCluster = clusterOfLogGroup(String(ctx.logGroup));
  const onEks =
    logGroupCluster !== undefined ||
    (labels !== undefined && Object.keys(labels).some((key) => key.startsWith("eks.amazonaws.com/")));
  return {
    platform: onEks ? "eks" : "kubernetes",
    cluster: stringField(root, "cluster_name") ?? labelCluster ?? logGroupCluster,
  };
}

/** Tetragon JSON export (`process_exec`); other Tetragon events yield no execution. */
// argv is a list of words: every utility name shows as written.
export const tetragon: SourceParser = { format: "tetragon", sniff, parse, alwaysParse: [] };
