/**
 * The group key: which signals are "the same incident" for the signal ledger (and for sinks that
 * update one record per incident). A group is the rule, where it happened (the workload, not the
 * pod: a rollout that replaces pods keeps its group), the utility, and the classes of the reasons
 * (the reason templates of the rule with their quoted details left out). A different utility or a
 * new kind of reason makes a new group; a new command line or pod of the same behaviour does not.
 * Pure.
 */
import { createHash } from "node:crypto";
import type { Signal } from "../model.js";

/**
 * The reason templates of src/detection/rule.ts, by class. Matched in order on the reason text;
 * test/signals/group-key.test.ts checks that every template the rule can write has a class here.
 */
export const REASON_CLASSES: readonly (readonly [cls: string, pattern: RegExp])[] = [
  ["executes-command", /^\S+ executes a command or shell \(/],
  [
    "output-executed",
    /^\S+ (?:download|answer|output) is (?:piped to (?:a shell|an interpreter) \(|executed (?:as a command|by .+) through (?:command|process) substitution)/,
  ],
  ["relays-shell", /^\S+ relays an interactive shell \(/],
  ["download-executed", /^the file \S+ downloads \(.*\) is then executed$/s],
  ["credential-endpoint", /^\S+ reaches a cloud credential endpoint: /],
  [
    "dns-exfiltration",
    /^\S+ (?:queries a name that looks|contacts a host whose name looks) like DNS exfiltration \(/,
  ],
  [
    "upload",
    /^\S+ (?:uploads (?:a file|its standard input|command output)|sends (?:command output in its URL|a file)|copies local files to a remote host)\b/,
  ],
  ["writes-to-suspicious-location", /^\S+ (?:downloads into|writes what it receives into) /],
  ["runs-from-suspicious-location", /^the utility .+ runs from /s],
  ["ancestor-from-suspicious-location", /^(?:parent|ancestor) .+ runs from /s],
  ["unanalysable", /^\S+ (?:\([^)]*\) )?ran in a container; .+ could not be analysed/s],
  ["benign-unread", /^\S+ \([^)]*\) ran in a container; alone it would be benign \(/],
  ["cut-short", /^analysis was cut short \(/],
  ["flat-scan", /^\S+ \([^)]*\) appears in a command line run in a container/],
  ["glob-name", /^\S+ is called through a shell pattern \(/],
  ["encoded-script", /^\S+ runs in a \S+-encoded script that the command line decodes and executes$/],
  ["kubelet-api", /^\S+ (?:queries|runs a command through) the kubelet API \(/],
  ["renamed", /^\S+ renamed to /],
  // Notes the Tetragon parser adds from in_init_tree, binary_properties and process_credentials.
  ["outside-init-tree", /^\S+ runs outside the container's init tree: /],
  ["fileless", /^\S+ has no link on any file system \(fileless execution/],
  ["setuid", /^\S+ is set-user-ID: it runs as uid /],
  [
    "raised-privileges",
    /^\S+ (?:raised its privileges at exec \(|runs with effective uid \d+ although its uid is )/,
  ],
  ["capabilities", /^\S+ runs with the capabilities /],
  ["expected-location", /^(?:parent|ancestor) .+ is .+; its location is expected$/s],
  ["ran-in-exec-session", /^\S+ \([^)]*\) ran in a container through an exec session$/],
  ["ran-in-container", /^\S+ \([^)]*\) ran in a container$/],
  ["also-runs", /^the command line also runs /],
];

/** Notes the ledger appends to a published signal's reasons (src/signals/ledger.ts); never part of the key. */
const LEDGER_NOTES = /^(?:seen \d+ more times? since |paging capped: )/;

/**
 * The class of one reason. A reason no template matches (a template added to the rule without a
 * class here) is a class of its own, so it can only split groups, never merge different behaviour.
 */
export function reasonClass(reason: string): string {
  for (const [cls, pattern] of REASON_CLASSES) if (pattern.test(reason)) return cls;
  return `other-${createHash("sha256").update(reason).digest("hex").slice(0, 12)}`;
}

function isLedgerNote(reason: string): boolean {
  return LEDGER_NOTES.test(reason);
}

/** Sorted, distinct classes of the signal's reasons (ledger notes left out), joined with "+". */
export function reasonClasses(signal: Pick<Signal, "reasons">): string {
  const classes = new Set(signal.reasons.filter((r) => !isLedgerNote(r)).map(reasonClass));
  return [...classes].sort().join("+");
}

// Parts are escaped so that no value can forge a separator: the key is injective.
const ESCAPED = /[%/|\p{Cc}]/gu;

function part(value: string | null | undefined): string {
  return (value ?? "").replace(ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function join(...parts: (string | null | undefined)[]): string {
  return parts.map(part).join("/");
}

/** Kubernetes' pod-template-hash alphabet (rand.SafeEncodeString): no vowels, no 0, 1, 3. */
const TEMPLATE_HASH = /-[bcdfghjklmnpqrstvwxz2456789]{4,10}$/;
/** A CronJob's Job is named `<cronjob>-<scheduled time in minutes>`. */
const CRONJOB_SUFFIX = /-\d{8,}$/;

/**
 * The controller a person deployed: a ReplicaSet stands for its Deployment (its name is the
 * Deployment's plus the pod template hash, new on every rollout), a CronJob's Job for the CronJob.
 */
function controller(signal: Signal): { kind: string; name: string } | undefined {
  const owner = signal.workload.owner;
  if (!owner?.name) return undefined;
  const hash = signal.workload.labels?.["pod-template-hash"];
  if (owner.kind === "ReplicaSet") {
    if (hash && owner.name.endsWith(`-${hash}`))
      return { kind: "Deployment", name: owner.name.slice(0, -hash.length - 1) };
    if (TEMPLATE_HASH.test(owner.name))
      return { kind: "Deployment", name: owner.name.replace(TEMPLATE_HASH, "") };
  }
  if (owner.kind === "Job" && CRONJOB_SUFFIX.test(owner.name))
    return { kind: "CronJob", name: owner.name.replace(CRONJOB_SUFFIX, "") };
  return { kind: owner.kind, name: owner.name };
}

/**
 * Where the signal happened, as stable as the evidence allows: the ECS service or task family; the
 * Kubernetes controller (cluster, namespace, owner); else the pod or task and its container; else
 * the container; else the log stream. Prefixed with the account that sent the logs.
 */
export function groupWhere(signal: Signal): string {
  const { workload: w, container: c, source } = signal;
  const account = source.owner;
  if (w.service) return join("ecs-service", account, w.cluster, w.service);
  if (w.family) return join("ecs-family", account, w.cluster, w.family);
  const owner = controller(signal);
  if (owner) return join("k8s", account, w.cluster, w.namespace, owner.kind, owner.name);
  if (w.pod) return join("pod", account, w.cluster, w.namespace, w.pod, c.name);
  if (w.task) return join("task", account, w.cluster, w.task, c.name);
  if (c.name) return join("container", account, source.logGroup, c.name);
  if (c.id) return join("container-id", account, c.id);
  return join("stream", account, source.logGroup, source.logStream);
}

/** Longer keys are shortened to a digest (DynamoDB keys and Security Hub ids are bounded). */
const MAX_KEY_BYTES = 512;

function bounded(prefix: string, key: string): string {
  if (Buffer.byteLength(key, "utf8") <= MAX_KEY_BYTES) return key;
  return `${prefix}|sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/**
 * The group of a signal: `<rule>|<where>|<utility>|<reason classes>`, readable when it fits in
 * 512 bytes, else `<rule>|sha256:<digest of the whole key>`. Severity is not part of it: a
 * higher severity is the same incident getting worse.
 */
export function groupKey(signal: Signal): string {
  const rule = part(signal.rule.id);
  return bounded(
    rule,
    [rule, groupWhere(signal), part(signal.utility.name), reasonClasses(signal)].join("|"),
  );
}

/** {@link groupWhere}, bounded like {@link groupKey}: what the pager budget is kept per. */
export function workloadKey(signal: Signal): string {
  return bounded("workload", groupWhere(signal));
}
