import type { ExecEvent, LogContext, SourceParser } from "../model.js";
import {
  arrayField,
  compact,
  eksClusterFromLogGroup,
  executableName,
  isObject,
  isoTime,
  type JsonObject,
  objectField,
  parseJsonObject,
  sourceRef,
  stringField,
  stringItems,
} from "./fields.js";

function sniff(message: string): boolean {
  if (message.includes("audit.k8s.io")) return true;
  // Webhook backends and re-shipped EventList items drop kind/apiVersion: the shape says it.
  return message.includes('"auditID"') && message.includes('"stage"') && message.includes('"requestURI"');
}

/**
 * An audit event: `kind: Event` of audit.k8s.io, or one without kind/apiVersion that has the
 * fields every audit event carries (Falco's k8saudit plugin keys on `auditID` alone).
 */
function isAuditEvent(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (value.kind === "Event" && stringField(value, "apiVersion")?.startsWith("audit.k8s.io/")) return true;
  return (
    value.kind === undefined &&
    value.apiVersion === undefined &&
    typeof value.auditID === "string" &&
    typeof value.stage === "string" &&
    typeof value.requestURI === "string"
  );
}

function parse(message: string, ctx: LogContext): ExecEvent[] | null {
  try {
    const root = parseJsonObject(message);
    if (root === null) return null;
    if (isAuditEvent(root)) return eventsOf(root, ctx);
    // What the webhook backend POSTs, shipped whole: `{kind: EventList, items: [...]}`.
    const items = arrayField(root, "items");
    if (root.kind !== "EventList" || !stringField(root, "apiVersion")?.startsWith("audit.k8s.io/"))
      return null;
    if (items === undefined) return null;
    const events: ExecEvent[] = [];
    for (const item of items) if (isAuditEvent(item)) events.push(...eventsOf(item as JsonObject, ctx));
    return events;
  } catch {
    return null;
  }
}

function eventsOf(root: JsonObject, ctx: LogContext): ExecEvent[] {
  const objectRef = objectField(root, "objectRef");
  // `attach` joins a running process and carries no command; only `exec` starts one.
  if (objectRef?.resource === "pods" && objectRef.subresource === "exec") {
    return toExecEvents(root, execTarget(objectRef), ctx);
  }
  // The kubelet's own exec endpoint reached through the API server's node proxy: `get` on
  // nodes/proxy is enough to run a command in any pod of the node, and this is its only trace.
  if (objectRef?.resource === "nodes" && objectRef.subresource === "proxy") {
    const target = kubeletExecTarget(stringField(root, "requestURI") ?? "", objectRef);
    return target === undefined ? [] : toExecEvents(root, target, ctx);
  }
  return [];
}

/**
 * The exec request's argv and container from the requestURI query (`command=` repeated, in order;
 * form-encoded, so `+` is a space). URLSearchParams never throws on bad percent-escapes.
 */
export function commandOf(requestUri: string): { argv: string[]; container?: string } {
  const query = requestUri.indexOf("?");
  if (query < 0) return { argv: [] };
  const params = new URLSearchParams(requestUri.slice(query + 1));
  return { argv: params.getAll("command"), container: params.get("container") ?? undefined };
}

/** Where an exec runs. */
interface ExecTarget {
  namespace?: string;
  pod?: string;
  /** From the path (kubelet); the API server's pods/exec names it in the query. */
  container?: string;
  node?: string;
}

function execTarget(objectRef: JsonObject): ExecTarget {
  return { namespace: stringField(objectRef, "namespace"), pod: stringField(objectRef, "name") };
}

/**
 * The pod of a kubelet exec request proxied through the API server:
 * `/api/v1/nodes/<node>/proxy/exec/<namespace>/<pod>/[<uid>/]<container>?command=…`.
 */
function kubeletExecTarget(requestUri: string, objectRef: JsonObject): ExecTarget | undefined {
  const path = requestUri.split("?", 1)[0] ?? "";
  const match = /\/proxy\/exec\/([^/]+)\/([^/]+)\/(?:[^/]+\/)?([^/]+)\/?$/.exec(path);
  if (match === null) return undefined;
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  return {
    namespace: decode(match[1]!),
    pod: decode(match[2]!),
    container: decode(match[3]!),
    node: stringField(objectRef, "name"),
  };
}

function toExecEvents(root: JsonObject, target: ExecTarget, ctx: LogContext): ExecEvent[] {
  const query = commandOf(stringField(root, "requestURI") ?? "");
  const argv = query.argv;
  const container = target.container ?? query.container;
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
        namespace: target.namespace,
        pod: target.pod,
        node: target.node,
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

/**
 * Kubernetes API-server audit events for `pods/exec`, and for the kubelet exec endpoint reached
 * through `nodes/proxy` (EKS: /aws/eks/<cluster>/cluster); with or without kind/apiVersion, one per
 * line or a whole EventList.
 */
/**
 * The exec command is URL-encoded in `requestURI` (`/exec?command=c%75rl`, the kubelet's `/proxy/exec/`),
 * which no literal name matches: every exec request is parsed.
 */
export const k8sAudit: SourceParser = { format: "k8s-audit", sniff, parse, alwaysParse: ["/exec"] };
