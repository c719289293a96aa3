import type { ExecEvent, LogContext, SourceParser } from "../model.js";
import {
  compact,
  eksClusterFromLogGroup,
  executableName,
  isoTime,
  type JsonObject,
  objectField,
  parseJsonObject,
  sourceRef,
  stringField,
  stringItems,
} from "./fields.js";

function sniff(message: string): boolean {
  return message.includes("audit.k8s.io");
}

function parse(message: string, ctx: LogContext): ExecEvent[] | null {
  try {
    const root = parseJsonObject(message);
    if (root === null) return null;
    if (root.kind !== "Event" || !stringField(root, "apiVersion")?.startsWith("audit.k8s.io/")) return null;
    const objectRef = objectField(root, "objectRef");
    // `attach` joins a running process and carries no command; only `exec` starts one.
    if (objectRef?.resource !== "pods" || objectRef.subresource !== "exec") return [];
    return toExecEvents(root, objectRef, ctx);
  } catch {
    return null;
  }
}

/**
 * The exec request's argv and container from the requestURI query (`command=` repeated, in order;
 * form-encoded, so `+` is a space). URLSearchParams never throws on bad percent-escapes.
 */
function commandOf(requestUri: string): { argv: string[]; container?: string } {
  const query = requestUri.indexOf("?");
  if (query < 0) return { argv: [] };
  const params = new URLSearchParams(requestUri.slice(query + 1));
  return { argv: params.getAll("command"), container: params.get("container") ?? undefined };
}

function toExecEvents(root: JsonObject, objectRef: JsonObject, ctx: LogContext): ExecEvent[] {
  const { argv, container } = commandOf(stringField(root, "requestURI") ?? "");
  const command = argv[0];
  // Without a command (a malformed or stripped URI) there is nothing to judge.
  if (command === undefined) return [];
  const name = executableName(command) || command;
  if (name.length === 0) return [];

  const user = objectField(root, "user");
  const cluster = eksClusterFromLogGroup(String(ctx.logGroup));
  const sourceIPs = stringItems(root.sourceIPs);

  return [
    compact<ExecEvent>({
      process: compact({
        name,
        path: command.includes("/") ? command : undefined,
        args: argv.slice(1),
      }),
      ancestors: [],
      container: compact({ name: container?.length ? container : undefined }),
      workload: compact({
        platform: cluster !== undefined ? "eks" : "kubernetes",
        cluster,
        namespace: stringField(objectRef, "namespace"),
        pod: stringField(objectRef, "name"),
      }),
      inContainer: true,
      viaExecSession: true,
      // Every stage of one exec carries the same requestReceivedTimestamp: the exec's time.
      time: isoTime(ctx.timestamp, root.requestReceivedTimestamp, root.stageTimestamp),
      source: sourceRef("k8s-audit", ctx),
      sessionKey: stringField(root, "auditID"),
      actor: compact({
        user: stringField(user, "username"),
        sourceIPs: sourceIPs !== undefined && sourceIPs.length > 0 ? sourceIPs : undefined,
        userAgent: stringField(root, "userAgent"),
      }),
    }),
  ];
}

/** Kubernetes API-server audit events for `pods/exec` (EKS: /aws/eks/<cluster>/cluster). */
export const k8sAudit: SourceParser = { format: "k8s-audit", sniff, parse };
