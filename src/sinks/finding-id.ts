/**
 * The identity of a repeating detection across invocations: the same rule, the same workload and
 * the same utility are one Security Hub finding (updated, not added), one PagerDuty dedup key and
 * one chat thread. Built from the workload's stable parts (cluster, namespace, owning controller or
 * ECS service/family, container name), never from per-run parts (pod, task) when a stable one is
 * known, so a restarted pod or a new task updates the same finding.
 * The lead will point this at groupKey(signal) (src/signals/group-key.ts) once that lands; the
 * ingredients are the same.
 */
import { createHash } from "node:crypto";
import type { Signal } from "../model.js";

const SEP = "\x1f";

/** The workload part of the key: what stays the same when the pod or task is replaced. */
function workloadParts(signal: Signal): string[] {
  const w = signal.workload;
  const owner = w.owner ? `${w.owner.kind}/${w.owner.name}` : undefined;
  const unit =
    w.platform === "ecs" ? (w.service ?? w.family ?? w.task) : (owner ?? w.pod ?? signal.container.id ?? "");
  return [
    w.platform,
    w.cluster ?? "",
    w.namespace ?? "",
    unit ?? "",
    signal.container.name ?? "",
    signal.source.owner,
  ];
}

/** `net_util_in_container/<32 hex>`: stable for rule + workload + utility, at most 64 characters. */
export function findingId(signal: Signal): string {
  const digest = createHash("sha256")
    .update([signal.rule.id, ...workloadParts(signal), signal.utility.name].join(SEP))
    .digest("hex")
    .slice(0, 32);
  return `${signal.rule.id}/${digest}`;
}
