/**
 * Routing fields as SNS message attributes, so a subscription's filter policy can send a team's
 * namespace, owner or label to its own queue or pager without code here.
 *
 * At most {@link MAX_ROUTING_ATTRIBUTES} (10) attributes, all of type String: SNS discards a message
 * with more than 10 attributes on the way to an SQS subscription with raw delivery. In this order,
 * each only when the signal has a value: `severity`, `utility`, `platform`, `cluster`, `namespace`,
 * `owner_kind`, `owner_name`, `ecs_service`, `ecs_family`, then labels as `label.<key>` (characters
 * outside `A-Za-z0-9_.-` become `_`) in the slots left: first the keys in {@link PREFERRED_LABELS},
 * then the others in key order, never the controller's hash and uid labels. Values come from the
 * signal redacted once more, cut to {@link ROUTING_VALUE_MAX_CHARS} characters.
 */
import type { MessageAttributeValue } from "@aws-sdk/client-sns";
import type { Signal } from "../model.js";
import { redactText } from "./redact.js";

export const MAX_ROUTING_ATTRIBUTES = 10;
export const ROUTING_VALUE_MAX_CHARS = 256;
/** Label keys that name a team or an application, tried before the others. */
export const PREFERRED_LABELS = [
  "team",
  "owner",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/name",
  "app",
  "k8s-app",
] as const;
/** Labels Kubernetes controllers add per revision or per object: no use for routing. */
const NOISE_LABEL =
  /(?:^|\/)(?:pod-template-hash|controller-revision-hash|pod-template-generation|controller-uid)$/;

/** `label.<key>` with characters SNS refuses in attribute names replaced, no `..`, no trailing `.`. */
export function labelAttributeName(key: string): string {
  const safe = key
    .replace(/[^A-Za-z0-9_.-]/g, "_")
    .replace(/\.{2,}/g, ".")
    .replace(/\.$/, "_");
  return `label.${safe}`.slice(0, 256);
}

function value(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const clean = redactText(text).trim();
  if (clean === "") return undefined;
  if (clean.length <= ROUTING_VALUE_MAX_CHARS) return clean;
  let keep = ROUTING_VALUE_MAX_CHARS - 1;
  const code = clean.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep--; // never half a surrogate pair
  return `${clean.slice(0, keep)}…`;
}

/** The routing attributes of one signal, in the documented order. Pure. */
export function routingAttributes(signal: Signal): Record<string, MessageAttributeValue> {
  const { workload } = signal;
  const fixed: [string, string | undefined][] = [
    ["severity", signal.severity],
    ["utility", signal.utility.name],
    ["platform", workload.platform],
    ["cluster", workload.cluster],
    ["namespace", workload.namespace],
    ["owner_kind", workload.owner?.kind],
    ["owner_name", workload.owner?.name],
    ["ecs_service", workload.service],
    ["ecs_family", workload.family],
  ];
  const out: Record<string, MessageAttributeValue> = {};
  let count = 0;
  const put = (name: string, raw: string | undefined) => {
    const v = value(raw);
    if (v === undefined || count >= MAX_ROUTING_ATTRIBUTES || name in out) return;
    out[name] = { DataType: "String", StringValue: v };
    count++;
  };
  for (const [name, raw] of fixed) put(name, raw);
  const labels = workload.labels ?? {};
  const keys = Object.keys(labels).filter((key) => !NOISE_LABEL.test(key));
  const preferred = PREFERRED_LABELS.filter((key) => keys.includes(key));
  const rest = keys.filter((key) => !(PREFERRED_LABELS as readonly string[]).includes(key)).sort();
  for (const key of [...preferred, ...rest]) put(labelAttributeName(key), labels[key]);
  return out;
}

/** What the attributes weigh against the SNS message limit: name, type and value bytes. */
export function attributeBytes(attributes: Record<string, MessageAttributeValue>): number {
  let bytes = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    bytes +=
      Buffer.byteLength(name, "utf8") +
      Buffer.byteLength(attribute.DataType ?? "", "utf8") +
      Buffer.byteLength(attribute.StringValue ?? "", "utf8");
  }
  return bytes;
}
