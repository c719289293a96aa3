/**
 * The identity of a repeating detection across invocations: one signal group (groupKey, the same
 * group the signal ledger alerts once per window for) is one Security Hub finding (updated, not
 * added), one EventBridge `groupKey` and one chat thread. The group is built from the workload's
 * stable parts (ECS service/family, Kubernetes controller), so a restarted pod or a new task updates
 * the same finding.
 */
import { createHash } from "node:crypto";
import type { Signal } from "../model.js";
import { groupKey } from "../signals/group-key.js";

/** `<rule id>/<32 hex>`: a digest of the signal's group key, at most 64 characters. */
export function findingId(signal: Signal): string {
  const digest = createHash("sha256").update(groupKey(signal)).digest("hex").slice(0, 32);
  return `${signal.rule.id}/${digest}`;
}
