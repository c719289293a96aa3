import type { AncestorInfo, ExecEvent, LogContext, Platform, SourceParser } from "../model.js";
import { ANCESTORS_READ } from "../model.js";
import { isShell, MULTICALL_BINARIES } from "../shell/index.js";
import { type FieldReader, isK8sAuditAlert, k8sAuditAlertEvents } from "./falco-k8saudit.js";
import { K8S_AUDIT_TEXT_KEYS, outputTextFields, SYSCALL_TEXT_KEYS } from "./falco-output.js";
import { labelsOf, workloadEnrichment } from "./falco-workload.js";
import {
  ancestor,
  compact,
  ecsClusterName,
  eksClusterFromLogGroup,
  executableName,
  isoTime,
  type JsonObject,
  objectField,
  parseJsonObject,
  sourceRef,
  stringField,
  toNumber,
} from "./fields.js";

function sniff(message: string): boolean {
  return message.includes('"output_fields"');
}

/** Falco writes null, "" or "<NA>" for a field it could not resolve. */
function field(fields: JsonObject, key: string): string | undefined {
  const value = fields[key];
  if (typeof value !== "string" || value.length === 0 || value === "<NA>" || value === "N/A")
    return undefined;
  return value;
}

const SHELL_COMMAND_FLAG = /^-[a-zA-Z]*c[a-zA-Z]*$/;

/**
 * Falco's proc.args is the arguments joined by single spaces with no quoting (libsinsp), so word
 * boundaries inside an argument are lost and quotes in it are literal. Words are split on whitespace;
 * for the `-c` of a shell (any the shell reader knows, or busybox) the rest of the line is kept whole
 * as the one payload argument, which is what it was in the overwhelming majority of `sh -c '…'`
 * invocations and what detection reads.
 */
export function splitFalcoArgs(args: string, name: string | undefined): string[] {
  const words = args.split(/[ \t]+/).filter((word) => word.length > 0);
  const flag = words[0];
  const shell = name !== undefined && (isShell(name) || MULTICALL_BINARIES.has(name));
  if (!shell || flag === undefined || !SHELL_COMMAND_FLAG.test(flag)) return words;
  const payload = args.slice(args.indexOf(flag) + flag.length + 1);
  return payload.length > 0 ? [flag, payload] : [flag];
}

/** proc.cmdline is `proc.name` + " " + proc.args. */
function argsFromCmdline(cmdline: string | undefined): string[] | undefined {
  if (cmdline === undefined) return undefined;
  const trimmed = cmdline.replace(/^[ \t]+/, "");
  const space = trimmed.indexOf(" ");
  if (space < 0) return [];
  return splitFalcoArgs(trimmed.slice(space + 1), trimmed.slice(0, space));
}

function parse(message: string, ctx: LogContext): ExecEvent[] | null {
  try {
    const root = parseJsonObject(message);
    if (root === null) return null;
    const fields = objectField(root, "output_fields");
    if (fields === undefined) return null;
    if (typeof root.rule !== "string" && typeof root.output !== "string") return null;
    return toExecEvents(root, fields, ctx);
  } catch {
    return null;
  }
}

/** Reads output_fields first and the output text's `key=value` pairs only for fields absent there. */
function readerOf(root: JsonObject, fields: JsonObject, keys: Readonly<Record<string, string>>): FieldReader {
  let text: Map<string, string> | undefined;
  const output = stringField(root, "output");
  return (key) => {
    const direct = field(fields, key);
    if (direct !== undefined || fields[key] !== undefined || output === undefined) return direct;
    // Splitting the text costs more than the rest of the parse: only when it can state this field.
    if (!textKeysOf(keys, key).some((name) => output.includes(`${name}=`))) return undefined;
    text ??= outputTextFields(output, fields, keys);
    return text.get(key);
  };
}

const textKeysCache = new WeakMap<object, Map<string, string[]>>();

/** The text keys that name `field` in a key table, e.g. proc.cmdline -> command, cmdline. */
function textKeysOf(keys: Readonly<Record<string, string>>, field: string): string[] {
  let byField = textKeysCache.get(keys);
  if (byField === undefined) {
    byField = new Map();
    for (const [name, target] of Object.entries(keys))
      byField.set(target, [...(byField.get(target) ?? []), name]);
    textKeysCache.set(keys, byField);
  }
  return byField.get(field) ?? [];
}

function toExecEvents(root: JsonObject, fields: JsonObject, ctx: LogContext): ExecEvent[] {
  if (isK8sAuditAlert(root, fields)) {
    return k8sAuditAlertEvents(root, fields, readerOf(root, fields, K8S_AUDIT_TEXT_KEYS), ctx);
  }
  const read = readerOf(root, fields, SYSCALL_TEXT_KEYS);
  const cmdline = read("proc.cmdline");
  // Rules up to mid-2023 print only %proc.cmdline: its first word is proc.name (libsinsp).
  const comm = read("proc.name") ?? firstWord(cmdline);
  const exepath = read("proc.exepath");
  // Alerts of rules that are not about a process (cloudtrail and other plugins) carry no proc.* fields.
  if (comm === undefined && exepath === undefined) return [];
  const argv0 = read("proc.exe");
  const path = exepath ?? (argv0?.startsWith("/") ? argv0 : undefined);
  const name = executableName(path, comm, argv0);
  if (name.length === 0) return [];

  const procArgs = read("proc.args");
  const args = procArgs !== undefined ? splitFalcoArgs(procArgs, comm) : argsFromCmdline(cmdline);

  const labels = labelsOf(fields);
  const rawContainerId = read("container.id");
  // Only output_fields may say "host": text a process printed must never take an event out of scope.
  const isHost = field(fields, "container.id") === "host";
  const containerId = rawContainerId === "host" ? undefined : rawContainerId;
  const containerName = isHost ? undefined : read("container.name");
  const image = isHost ? undefined : imageOf(read);
  const namespace =
    read("k8s.ns.name") ??
    field(fields, "k8smeta.ns.name") ??
    labels.container.get("io.kubernetes.pod.namespace");
  const pod =
    read("k8s.pod.name") ??
    field(fields, "k8smeta.pod.name") ??
    labels.container.get("io.kubernetes.pod.name");
  const evidence =
    containerId !== undefined || pod !== undefined || containerName !== undefined || image !== undefined;

  return [
    compact<ExecEvent>({
      process: compact({
        name,
        path,
        args: args ?? [],
        pid: toNumber(fields["proc.pid"]) ?? toNumber(read("proc.pid")),
        // proc.name is the kernel's comm; a first word of proc.cmdline is argv[0], not evidence of a rename.
        comm: otherName(read("proc.name"), name),
        user: read("user.name"),
        cwd: field(fields, "proc.cwd"),
      }),
      ancestors: ancestorsOf(fields, read),
      container: compact({ id: isHost ? undefined : containerId, name: containerName, image }),
      workload: compact({
        ...platformOf(
          fields,
          namespace !== undefined || pod !== undefined,
          isHost ? undefined : containerId,
          labels,
          ctx,
        ),
        namespace,
        pod,
        node: stringField(root, "hostname"),
        ...workloadEnrichment(fields, labels),
      }),
      // Any container field (id, name, image), a pod, or a rule tagged `container` (its condition
      // requires one) puts the process in a container; "host" in output_fields takes it out.
      inContainer: isHost ? false : evidence || hasContainerTag(root) ? true : "unknown",
      viaExecSession: false,
      time: isoTime(ctx.timestamp, root.time, fields["evt.time"]),
      source: sourceRef("falco", ctx),
    }),
  ];
}

/** comm when it is another name than `name`, not merely its 15-character cut or a busybox applet's. */
export function otherName(comm: string | undefined, name: string): string | undefined {
  if (comm === undefined || comm === name || (comm.length === 15 && name.startsWith(comm))) return undefined;
  return comm;
}

function firstWord(cmdline: string | undefined): string | undefined {
  const word = cmdline?.trimStart().split(/[ \t]/, 1)[0];
  return word !== undefined && word.length > 0 ? word : undefined;
}

function hasContainerTag(root: JsonObject): boolean {
  return Array.isArray(root.tags) && root.tags.includes("container");
}

function imageOf(read: FieldReader): string | undefined {
  const repository = read("container.image.repository");
  if (repository === undefined) return read("container.image");
  const tag = read("container.image.tag");
  return tag === undefined ? repository : `${repository}:${tag}`;
}

const ANCESTOR_KEY = /^proc\.a(?:name|exepath|exe|cmdline)\[(\d{1,4})\]$/;

/** Level 1 is the parent (proc.p* or proc.a*[1]); proc.a*[N] is the N-th ancestor. */
function ancestorsOf(fields: JsonObject, read: FieldReader): AncestorInfo[] {
  let deepest = read("proc.aname[4]") ? 4 : read("proc.aname[3]") ? 3 : read("proc.aname[2]") ? 2 : 1;
  for (const key in fields) {
    if (!key.startsWith("proc.a")) continue;
    const match = ANCESTOR_KEY.exec(key);
    if (match !== null) deepest = Math.max(deepest, Math.min(Number(match[1]), ANCESTORS_READ));
  }
  const out: AncestorInfo[] = [];
  for (let level = 1; level <= deepest; level++) {
    const at = (suffix: string, parentKey: string): string | undefined =>
      (level === 1 ? read(parentKey) : undefined) ?? read(`proc.a${suffix}[${level}]`);
    const comm = at("name", "proc.pname");
    const argv0 = at("exe", "proc.pexe");
    const path = at("exepath", "proc.pexepath") ?? (argv0?.startsWith("/") ? argv0 : undefined);
    out.push(
      ancestor(path, executableName(path, comm, argv0), argsFromCmdline(at("cmdline", "proc.pcmdline"))),
    );
  }
  // Levels past the top of the tree come as nulls: drop them, keep inner gaps so positions hold.
  while (out.length > 0 && Object.keys(out[out.length - 1] as object).length === 0) out.pop();
  return out;
}

function platformOf(
  fields: JsonObject,
  isK8s: boolean,
  containerId: string | undefined,
  labels: { container: Map<string, string> },
  ctx: LogContext,
): { platform: Platform; cluster?: string; task?: string } {
  if (isK8s) {
    const cluster = eksClusterFromLogGroup(String(ctx.logGroup));
    return { platform: cluster !== undefined ? "eks" : "kubernetes", cluster };
  }
  // ECS sets these Docker labels on every task container; Falco outputs them when the rule asks.
  const taskArn =
    field(fields, "container.label[com.amazonaws.ecs.task-arn]") ??
    labels.container.get("com.amazonaws.ecs.task-arn");
  const ecsCluster =
    field(fields, "container.label[com.amazonaws.ecs.cluster]") ??
    labels.container.get("com.amazonaws.ecs.cluster");
  if (taskArn !== undefined || ecsCluster !== undefined) {
    return { platform: "ecs", cluster: ecsClusterName(ecsCluster, taskArn), task: taskArn };
  }
  if (containerId !== undefined) return { platform: "docker" };
  return { platform: "unknown" };
}

/**
 * Falco JSON alerts (`json_output: true`): any alert whose output carries proc.* fields (or states
 * them in its output text), and k8saudit plugin alerts of `pods/exec`.
 */
/**
 * A k8saudit alert that prints `%ka.uri` carries its exec command URL-encoded (`/exec?command=c%75rl`),
 * which no literal name matches; the `/exec` of the URI marks it.
 */
export const falco: SourceParser = { format: "falco", sniff, parse, alwaysParse: ["/exec"] };
