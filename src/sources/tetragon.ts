import type { AncestorInfo, ExecEvent, LogContext, Platform, SourceParser } from "../model.js";
import {
  ancestor,
  arrayField,
  compact,
  eksClusterFromLogGroup,
  executableName,
  isObject,
  isoTime,
  type JsonObject,
  MAX_ANCESTORS,
  normalizeContainerId,
  numberField,
  objectField,
  parseJsonObject,
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
  try {
    const root = parseJsonObject(message);
    if (root === null) return null;
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
  const name = executableName(binary);
  if (name.length === 0) return null;

  const pod = objectField(proc, "pod");
  const podContainer = objectField(pod, "container");
  const containerId = normalizeContainerId(podContainer?.id) ?? normalizeContainerId(proc.docker);
  const podName = stringField(pod, "name");
  const namespace = stringField(pod, "namespace");
  const isPod = podName !== undefined || namespace !== undefined || podContainer !== undefined;

  const args = argumentsOf(proc);
  const uid = numberField(proc, "uid");
  const userName = stringField(objectField(proc, "user"), "name");

  return compact<ExecEvent>({
    process: compact({
      name,
      path: binary,
      args,
      pid: numberField(proc, "pid"),
      user: userName ?? (uid !== undefined ? String(uid) : undefined),
      cwd: stringField(proc, "cwd"),
    }),
    ancestors: ancestorsOf(exec),
    container: compact({
      id: containerId,
      name: stringField(podContainer, "name"),
      image: stringField(objectField(podContainer, "image"), "name"),
    }),
    workload: compact({
      ...platformOf(root, isPod, containerId !== undefined, ctx),
      namespace,
      pod: podName,
      node: stringField(root, "node_name"),
    }),
    inContainer: isPod || containerId !== undefined,
    viaExecSession: false,
    time: isoTime(ctx.timestamp, root.time),
    source: sourceRef("tetragon", ctx),
  });
}

function argumentsOf(proc: JsonObject | undefined): string[] {
  const raw = stringField(proc, "arguments");
  return raw === undefined ? [] : splitTetragonArguments(raw);
}

function ancestorsOf(exec: JsonObject): AncestorInfo[] {
  const chain: unknown[] = [exec.parent, ...(arrayField(exec, "ancestors") ?? [])];
  const out: AncestorInfo[] = [];
  for (const item of chain) {
    if (out.length >= MAX_ANCESTORS) break;
    if (!isObject(item)) continue;
    const binary = stringField(item, "binary");
    const args = stringField(item, "arguments") !== undefined ? argumentsOf(item) : undefined;
    out.push(ancestor(binary, binary === undefined ? "" : executableName(binary), args));
  }
  return out;
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
  const logGroupCluster = eksClusterFromLogGroup(String(ctx.logGroup));
  const onEks =
    logGroupCluster !== undefined ||
    (labels !== undefined && Object.keys(labels).some((key) => key.startsWith("eks.amazonaws.com/")));
  return {
    platform: onEks ? "eks" : "kubernetes",
    cluster: stringField(root, "cluster_name") ?? labelCluster ?? logGroupCluster,
  };
}

/** Tetragon JSON export (`process_exec`); other Tetragon events yield no execution. */
export const tetragon: SourceParser = { format: "tetragon", sniff, parse };
