import type { AncestorInfo, ExecEvent, LogContext, Platform, SourceParser } from "../model.js";
import {
  ancestor,
  compact,
  ecsClusterName,
  eksClusterFromLogGroup,
  executableName,
  isoTime,
  type JsonObject,
  MAX_ANCESTORS,
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

const SHELLS = new Set(["sh", "ash", "bash", "dash", "ksh", "mksh", "zsh", "busybox"]);
const SHELL_COMMAND_FLAG = /^-[a-zA-Z]*c[a-zA-Z]*$/;

/**
 * Falco's proc.args is the arguments joined by single spaces with no quoting (libsinsp), so word
 * boundaries inside an argument are lost and quotes in it are literal. Words are split on whitespace;
 * for a shell's `-c` the rest of the line is kept whole as the one payload argument, which is what it
 * was in the overwhelming majority of `sh -c '…'` invocations and what detection reads.
 */
export function splitFalcoArgs(args: string, name: string | undefined): string[] {
  const words = args.split(/[ \t]+/).filter((word) => word.length > 0);
  const flag = words[0];
  if (name === undefined || !SHELLS.has(name) || flag === undefined || !SHELL_COMMAND_FLAG.test(flag))
    return words;
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

function toExecEvents(root: JsonObject, fields: JsonObject, ctx: LogContext): ExecEvent[] {
  const comm = field(fields, "proc.name");
  const exepath = field(fields, "proc.exepath");
  // Alerts of rules that are not about a process (k8s audit, cloudtrail plugins) carry no proc.* fields.
  if (comm === undefined && exepath === undefined) return [];
  const argv0 = field(fields, "proc.exe");
  const path = exepath ?? (argv0?.startsWith("/") ? argv0 : undefined);
  const name = executableName(path, comm, argv0);
  if (name.length === 0) return [];

  const procArgs = field(fields, "proc.args");
  const args =
    procArgs !== undefined ? splitFalcoArgs(procArgs, comm) : argsFromCmdline(field(fields, "proc.cmdline"));

  const containerId = field(fields, "container.id");
  const namespace = field(fields, "k8s.ns.name") ?? field(fields, "k8smeta.ns.name");
  const pod = field(fields, "k8s.pod.name") ?? field(fields, "k8smeta.pod.name");
  const isHost = containerId === "host";

  return [
    compact<ExecEvent>({
      process: compact({
        name,
        path,
        args: args ?? [],
        pid: toNumber(fields["proc.pid"]),
        comm: otherName(comm, name),
        user: field(fields, "user.name"),
        cwd: field(fields, "proc.cwd"),
      }),
      ancestors: ancestorsOf(fields),
      container: compact({
        id: isHost ? undefined : containerId,
        name: isHost ? undefined : field(fields, "container.name"),
        image: isHost ? undefined : imageOf(fields),
      }),
      workload: compact({
        ...platformOf(fields, namespace !== undefined || pod !== undefined, containerId, ctx),
        namespace,
        pod,
        node: stringField(root, "hostname"),
      }),
      // Any container field (id, name, image) or a pod puts the process in a container; "host" takes it out.
      inContainer: isHost
        ? false
        : containerId !== undefined ||
            pod !== undefined ||
            field(fields, "container.name") !== undefined ||
            imageOf(fields) !== undefined
          ? true
          : "unknown",
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

function imageOf(fields: JsonObject): string | undefined {
  const repository = field(fields, "container.image.repository");
  if (repository === undefined) return field(fields, "container.image");
  const tag = field(fields, "container.image.tag");
  return tag === undefined ? repository : `${repository}:${tag}`;
}

const ANCESTOR_KEY = /^proc\.a(?:name|exepath|exe|cmdline)\[(\d{1,4})\]$/;

/** Level 1 is the parent (proc.p* or proc.a*[1]); proc.a*[N] is the N-th ancestor. */
function ancestorsOf(fields: JsonObject): AncestorInfo[] {
  let deepest = 1;
  for (const key in fields) {
    if (!key.startsWith("proc.a")) continue;
    const match = ANCESTOR_KEY.exec(key);
    if (match !== null) deepest = Math.max(deepest, Math.min(Number(match[1]), MAX_ANCESTORS));
  }
  const out: AncestorInfo[] = [];
  for (let level = 1; level <= deepest; level++) {
    const at = (suffix: string, parentKey: string): string | undefined =>
      (level === 1 ? field(fields, parentKey) : undefined) ?? field(fields, `proc.a${suffix}[${level}]`);
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
  ctx: LogContext,
): { platform: Platform; cluster?: string; task?: string } {
  if (isK8s) {
    const cluster = eksClusterFromLogGroup(String(ctx.logGroup));
    return { platform: cluster !== undefined ? "eks" : "kubernetes", cluster };
  }
  // ECS sets these Docker labels on every task container; Falco outputs them when the rule asks.
  const taskArn = field(fields, "container.label[com.amazonaws.ecs.task-arn]");
  const ecsCluster = field(fields, "container.label[com.amazonaws.ecs.cluster]");
  if (taskArn !== undefined || ecsCluster !== undefined) {
    return { platform: "ecs", cluster: ecsClusterName(ecsCluster, taskArn), task: taskArn };
  }
  if (containerId !== undefined && containerId !== "host") return { platform: "docker" };
  return { platform: "unknown" };
}

/** Falco JSON alerts (`json_output: true`): any alert whose output carries proc.* fields. */
export const falco: SourceParser = { format: "falco", sniff, parse };
