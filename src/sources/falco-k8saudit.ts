/**
 * Falco alerts of the k8saudit / k8saudit-eks plugins (source `k8s_audit`, `ka.*` fields), such as
 * the stock "Attach/Exec Pod" rule (falcosecurity/plugins plugins/k8saudit/rules/k8s_audit_rules.yaml:
 * `user=%ka.user.name pod=%ka.target.name … action=%ka.target.subresource command=%ka.uri.param[command]`).
 * A `pods/exec` alert is an exec session, like the audit event it was made from.
 */
import type { ExecEvent, LogContext } from "../model.js";
import {
  compact,
  eksClusterFromLogGroup,
  executableName,
  isoTime,
  type JsonObject,
  sourceRef,
  stringItems,
} from "./fields.js";
import { commandOf } from "./k8s-audit.js";

/** A field's value: output_fields first, then what the output text says. */
export type FieldReader = (key: string) => string | undefined;

/** True when the alert is about a Kubernetes audit event rather than a process. */
export function isK8sAuditAlert(root: JsonObject, fields: JsonObject): boolean {
  if (root.source === "k8s_audit" || root.source === "k8saudit") return true;
  for (const key in fields) if (key.startsWith("ka.")) return true;
  return false;
}

/** The exec session an Attach/Exec alert records; `[]` for attach and every other audit alert. */
export function k8sAuditAlertEvents(
  root: JsonObject,
  fields: JsonObject,
  read: FieldReader,
  ctx: LogContext,
): ExecEvent[] {
  const uri = read("ka.uri");
  const subresource = read("ka.target.subresource") ?? subresourceOf(uri);
  // `attach` joins a running process and carries no command; only `exec` starts one.
  if (subresource !== "exec") return [];
  const resource = read("ka.target.resource");
  if (resource !== undefined && resource !== "pods") return [];
  // ka.uri.param[command] is the first `command=` only (the plugin's url.Values lookup); the whole
  // argv is there only when the rule prints %ka.uri.
  const request = uri !== undefined ? commandOf(uri) : { argv: [] as string[] };
  const first = read("ka.uri.param[command]");
  const argv = request.argv.length > 0 ? request.argv : first !== undefined ? [first] : [];
  const command = argv[0];
  if (command === undefined) return [];
  const name = executableName(command) || command;
  if (name.length === 0) return [];

  const eksCluster = eksClusterFromLogGroup(String(ctx.logGroup));
  const cluster = read("ka.cluster.name") ?? eksCluster;
  const sourceIPs = sourceIpsOf(fields["ka.sourceips"]);
  return [
    compact<ExecEvent>({
      process: compact({ name, path: command.includes("/") ? command : undefined, args: argv.slice(1) }),
      ancestors: [],
      container: compact({ name: read("ka.uri.param[container]") ?? request.container }),
      workload: compact({
        platform: eksCluster !== undefined ? "eks" : "kubernetes",
        cluster,
        namespace: read("ka.target.namespace"),
        pod: read("ka.target.name") ?? read("ka.target.pod.name"),
      }),
      inContainer: true,
      viaExecSession: true,
      time: isoTime(ctx.timestamp, root.time, fields["evt.time"]),
      source: sourceRef("falco", ctx),
      sessionKey: read("ka.auditid"),
      actor: compact({
        user: read("ka.user.name"),
        sourceIPs: sourceIPs.length > 0 ? sourceIPs : undefined,
        userAgent: read("ka.useragent"),
      }),
    }),
  ];
}

function subresourceOf(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  const path = uri.split("?", 1)[0] ?? "";
  return /\/pods\/[^/]+\/(exec|attach)\/?$/.exec(path)?.[1];
}

/** `ka.sourceips` is a list field: a JSON array, or Falco's `(a,b)` text rendering. */
function sourceIpsOf(value: unknown): string[] {
  const items = stringItems(value);
  if (items !== undefined) return items.filter((ip) => ip.length > 0).slice(0, 8);
  if (typeof value !== "string") return [];
  return value
    .replace(/^\(|\)$/g, "")
    .split(",")
    .map((ip) => ip.trim())
    .filter((ip) => ip.length > 0 && ip !== "<NA>")
    .slice(0, 8);
}
