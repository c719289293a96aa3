/**
 * What the sinks build payloads from: the signal as rendered for SNS machine subscribers (redacted
 * again, evidence bounded to `budget` bytes), plus the workload's owner, ECS service and family,
 * which rendering does not carry yet, redacted here the same way.
 */
import type { Signal, WorkloadInfo } from "../model.js";
import { redactText, truncateText } from "../signals/redact.js";
import { renderJson } from "../signals/render.js";

function extras(workload: WorkloadInfo): Partial<WorkloadInfo> {
  const out: Partial<WorkloadInfo> = {};
  if (workload.owner)
    out.owner = { kind: redactText(workload.owner.kind), name: redactText(workload.owner.name) };
  if (workload.service !== undefined) out.service = redactText(workload.service);
  if (workload.family !== undefined) out.family = redactText(workload.family);
  return out;
}

/** The redacted, bounded signal object. */
export function renderedSignal(signal: Signal, budget: number): Signal {
  const rendered = JSON.parse(renderJson(signal, budget)) as Signal;
  return { ...rendered, workload: { ...rendered.workload, ...extras(signal.workload) } };
}

/** At most `max` characters, a cut marked as such. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = truncateText(text, Math.max(1, max - 32));
  return cut.length <= max ? cut : cut.slice(0, max);
}
