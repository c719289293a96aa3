/**
 * Workload enrichment from the Falco fields that carry it: pod labels (`k8s.pod.labels`,
 * `k8s.pod.label[x]`, the k8smeta plugin's `k8smeta.pod.*`), container labels (`container.labels`,
 * `container.label[x]`: ECS sets com.amazonaws.ecs.* on every task container, containerd sets
 * io.kubernetes.*), and the owning controller (`k8s.deployment.name`, `k8smeta.deployment.name`, …).
 */
import type { WorkloadInfo } from "../model.js";
import { isObject, type JsonObject } from "./fields.js";

/** Bounds on what hostile or huge label sets may cost. */
const MAX_LABELS = 64;
const MAX_LABEL_CHARS = 256;

type Enrichment = Pick<WorkloadInfo, "labels" | "owner" | "family">;

/** A Falco field value, with Falco's "not available" markers read as absent. */
function value(fields: JsonObject, key: string): string | undefined {
  const v = fields[key];
  if (typeof v !== "string" || v.length === 0 || v === "<NA>" || v === "N/A") return undefined;
  return v;
}

/**
 * Labels of a list field: a JSON array of `key:value`, or Falco's text rendering
 * `(k1:v1,k2:v2)` / `k1:v1, k2:v2`.
 */
function parseLabelList(raw: unknown, into: Map<string, string>): void {
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  else if (typeof raw === "string" && raw !== "<NA>") items = raw.replace(/^\(|\)$/g, "").split(",");
  else if (isObject(raw)) items = Object.entries(raw).map(([k, v]) => `${k}:${String(v)}`);
  else return;
  for (const item of items) {
    if (typeof item !== "string") continue;
    const colon = item.indexOf(":");
    if (colon <= 0) continue;
    add(into, item.slice(0, colon).trim(), item.slice(colon + 1).trim());
  }
}

function add(into: Map<string, string>, key: string, val: string): void {
  if (into.size >= MAX_LABELS || key.length === 0 || key.length > MAX_LABEL_CHARS) return;
  if (val.length > MAX_LABEL_CHARS || into.has(key)) return;
  into.set(key, val);
}

const LABEL_KEY = /^(k8s\.pod|k8smeta\.pod|container)\.label\[(.{1,256})\]$/;

/** Pod labels, or container labels when there are no pod labels; singled-out labels win over lists. */
export function labelsOf(fields: JsonObject): { pod: Map<string, string>; container: Map<string, string> } {
  const pod = new Map<string, string>();
  const container = new Map<string, string>();
  for (const key in fields) {
    if (!key.includes(".label[")) continue;
    const match = LABEL_KEY.exec(key);
    const v = value(fields, key);
    if (match === null || v === undefined) continue;
    add(match[1] === "container" ? container : pod, match[2]!, v);
  }
  parseLabelList(fields["k8s.pod.labels"], pod);
  parseLabelList(fields["k8smeta.pod.labels"], pod);
  parseLabelList(fields["container.labels"], container);
  return { pod, container };
}

const OWNERS: [field: string, kind: string][] = [
  ["k8smeta.deployment.name", "Deployment"],
  ["k8s.deployment.name", "Deployment"],
  ["k8smeta.rs.name", "ReplicaSet"],
  ["k8s.rs.name", "ReplicaSet"],
  ["k8smeta.rc.name", "ReplicationController"],
  ["k8s.rc.name", "ReplicationController"],
];

/** Labels, owner and ECS task family, as far as the alert's fields carry them. */
export function workloadEnrichment(
  fields: JsonObject,
  labels: { pod: Map<string, string>; container: Map<string, string> },
): Enrichment {
  const out: Enrichment = {};
  const chosen = labels.pod.size > 0 ? labels.pod : labels.container;
  if (chosen.size > 0) out.labels = Object.fromEntries(chosen);
  for (const [field, kind] of OWNERS) {
    const name = value(fields, field);
    if (name !== undefined) {
      out.owner = { kind, name };
      break;
    }
  }
  const family = labels.container.get("com.amazonaws.ecs.task-definition-family");
  if (family !== undefined) out.family = family;
  return out;
}
