import type { AncestorInfo, ExecEvent, LogContext, Platform, SourceParser } from "../model.js";
import { ANCESTORS_READ } from "../model.js";
import { splitShellWords } from "../shell/index.js";
import { otherName } from "./falco.js";
import {
  ancestor,
  arrayField,
  basename,
  compact,
  ecsClusterName,
  eksClusterFromLogGroup,
  executableName,
  isObject,
  isoTime,
  type JsonObject,
  normalizeContainerId,
  numberField,
  objectField,
  parseJsonObject,
  sourceRef,
  stringField,
  stringItems,
} from "./fields.js";

function sniff(message: string): boolean {
  // Some agents and pipelines leave `executable` out and keep only the kernel's `comm`.
  return message.includes('"process"') && (message.includes('"executable"') || message.includes('"comm"'));
}

function parse(message: string, ctx: LogContext): ExecEvent[] | null {
  try {
    const parsed = parseJsonObject(message);
    if (parsed === null) return null;
    // Events fetched through the Datadog Logs API nest the event under `attributes`.
    const root = isObject(parsed.process) ? parsed : objectField(parsed, "attributes");
    const proc = objectField(root, "process");
    if (root === undefined || proc === undefined) return null;
    if (stringField(objectField(root, "evt"), "name") === "exit") return [];
    const event = toExecEvent(root, proc, ctx);
    return event === null ? null : [event];
  } catch {
    return null;
  }
}

interface Named {
  name: string;
  path?: string;
  args?: string[];
  comm?: string;
}

/**
 * Name, path and arguments of one Datadog process object. `comm` is the kernel's name cut at 15
 * characters, so the executable's path wins, then `executable.name`, then comm. Datadog's `args`
 * array excludes argv[0] (argv0 is its own field); an `argv` array is taken as the full argv when
 * it starts with argv0 or the executable, and a string `args` is split shell-like.
 */
function describe(proc: JsonObject): Named {
  const executable = objectField(proc, "executable");
  const path = stringField(executable, "path");
  const comm = stringField(proc, "comm");
  const argv0 = stringField(proc, "argv0");
  const name = executableName(path ?? stringField(executable, "name"), comm, argv0);
  return compact({ name, path, args: argsOf(proc, path, comm, argv0), comm: otherName(comm, name) });
}

function argsOf(
  proc: JsonObject,
  path: string | undefined,
  comm: string | undefined,
  argv0: string | undefined,
): string[] | undefined {
  const args = stringItems(proc.args);
  if (args !== undefined) return args;
  const argv = stringItems(proc.argv);
  if (argv !== undefined) {
    const first = argv[0];
    const isArgv0 =
      first !== undefined &&
      (first === argv0 ||
        first === path ||
        (path !== undefined && first === basename(path)) ||
        first === comm);
    return isArgv0 ? argv.slice(1) : argv;
  }
  const line = stringField(proc, "args");
  return line === undefined ? undefined : splitShellWords(line);
}

function toExecEvent(root: JsonObject, proc: JsonObject, ctx: LogContext): ExecEvent | null {
  const self = describe(proc);
  if (self.name.length === 0) return null;
  const tags = tagsOf(root);
  const container = objectField(root, "container");
  const containerId =
    normalizeContainerId(objectField(proc, "container")?.id) ??
    normalizeContainerId(container?.id) ??
    normalizeContainerId(tags.get("container_id"));
  const namespace = tags.get("kube_namespace");
  const pod = tags.get("pod_name") ?? tags.get("kube_pod_name");
  const workload = platformOf(tags, namespace !== undefined || pod !== undefined, containerId, ctx);
  const explicit = typeof root.in_container === "boolean" ? root.in_container : undefined;
  const session = k8sSessionOf(proc);

  return compact<ExecEvent>({
    process: compact({
      name: self.name,
      path: self.path,
      args: self.args ?? [],
      pid: numberField(proc, "pid"),
      user: stringField(proc, "user") ?? stringField(objectField(proc, "credentials"), "user"),
      cwd: stringField(proc, "cwd"),
      comm: self.comm,
    }),
    ancestors: ancestorsOf(proc),
    container: compact({
      id: containerId,
      name: stringField(container, "name") ?? tags.get("container_name") ?? tags.get("kube_container_name"),
      image: stringField(container, "image") ?? imageFromTags(tags),
    }),
    workload: compact({ ...workload, namespace, pod }),
    inContainer:
      explicit ??
      (containerId !== undefined || pod !== undefined || workload.platform === "ecs" ? true : "unknown"),
    // A process of a `kubectl exec` session: the agent tags it (and its children) with the session.
    viaExecSession: session !== undefined,
    time: isoTime(ctx.timestamp, root.date, root.timestamp, proc.exec_time),
    source: sourceRef("datadog", ctx),
    actor: session,
  });
}

/**
 * The Kubernetes identity of the `kubectl exec` session a process belongs to:
 * `process.user_session {id, session_type: "k8s", k8s_username, k8s_uid, k8s_groups, k8s_extra}`
 * (datadog-agent pkg/security/serializers UserSessionContextSerializer), on the process or, for
 * events that omit it there, on the nearest ancestor that has it.
 */
function k8sSessionOf(proc: JsonObject): { user: string } | undefined {
  const chain = [proc, objectField(proc, "parent"), ...(arrayField(proc, "ancestors") ?? [])];
  for (const item of chain.slice(0, ANCESTORS_READ + 2)) {
    const session = objectField(item, "user_session");
    if (session === undefined) continue;
    const user = stringField(session, "k8s_username") ?? stringField(session, "k8s_uid");
    if (user !== undefined) return { user };
  }
  return undefined;
}

/** Parent first, then `ancestors[]`; Datadog's own ancestors list starts with the parent again. */
function ancestorsOf(proc: JsonObject): AncestorInfo[] {
  const parent = objectField(proc, "parent");
  const list = (arrayField(proc, "ancestors") ?? []).filter(isObject);
  const chain: JsonObject[] = [];
  if (parent !== undefined) chain.push(parent);
  const first = list[0];
  const skipFirst = parent !== undefined && first !== undefined && sameProcess(parent, first);
  chain.push(...(skipFirst ? list.slice(1) : list));
  return chain.slice(0, ANCESTORS_READ).map((item) => {
    const named = describe(item);
    return ancestor(named.path, named.name, named.args);
  });
}

function sameProcess(a: JsonObject, b: JsonObject): boolean {
  const pidA = numberField(a, "pid");
  const pidB = numberField(b, "pid");
  if (pidA !== undefined && pidB !== undefined) return pidA === pidB;
  const left = describe(a);
  const right = describe(b);
  return left.path === right.path && left.name === right.name && String(left.args) === String(right.args);
}

/**
 * Tags as Datadog attaches them: an array of "key:value", a comma-separated string (`ddtags`), or
 * top-level attributes of the same names (which win).
 */
function tagsOf(root: JsonObject): Map<string, string> {
  const tags = new Map<string, string>();
  const add = (tag: string): void => {
    const colon = tag.indexOf(":");
    if (colon > 0 && colon < tag.length - 1)
      tags.set(tag.slice(0, colon).trim(), tag.slice(colon + 1).trim());
  };
  for (const key of ["tags", "ddtags"]) {
    const value = root[key];
    if (typeof value === "string") for (const tag of value.split(",")) add(tag);
    else for (const tag of stringItems(value) ?? []) add(tag);
  }
  for (const key of TAG_ATTRIBUTES) {
    const value = stringField(root, key);
    if (value !== undefined) tags.set(key, value);
  }
  return tags;
}

const TAG_ATTRIBUTES = [
  "kube_namespace",
  "kube_cluster_name",
  "pod_name",
  "kube_pod_name",
  "kube_container_name",
  "container_id",
  "container_name",
  "image_name",
  "image_tag",
  "short_image",
  "ecs_cluster_name",
  "task_arn",
  "task_family",
  "ecs_container_name",
] as const;

function imageFromTags(tags: Map<string, string>): string | undefined {
  const image = tags.get("image_name");
  if (image === undefined) return undefined;
  const tag = tags.get("image_tag");
  return tag === undefined || image.includes("@") ? image : `${image}:${tag}`;
}

function platformOf(
  tags: Map<string, string>,
  isK8s: boolean,
  containerId: string | undefined,
  ctx: LogContext,
): { platform: Platform; cluster?: string; task?: string } {
  const taskArn = tags.get("task_arn");
  const ecsCluster = tags.get("ecs_cluster_name");
  if (taskArn !== undefined || ecsCluster !== undefined) {
    return { platform: "ecs", cluster: ecsClusterName(ecsCluster, taskArn), task: taskArn };
  }
  if (isK8s || tags.has("kube_cluster_name")) {
    const logGroupCluster = eksClusterFromLogGroup(String(ctx.logGroup));
    return {
      platform: logGroupCluster !== undefined ? "eks" : "kubernetes",
      cluster: tags.get("kube_cluster_name") ?? logGroupCluster,
    };
  }
  return { platform: containerId !== undefined ? "docker" : "unknown" };
}

/** Datadog Workload Protection-style process events (`process.executable`, `process.ancestors`). */
// Paths, comm and argv are plain strings: every utility name shows as written.
export const datadog: SourceParser = { format: "datadog", sniff, parse, alwaysParse: [] };
