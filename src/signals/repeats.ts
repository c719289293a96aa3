/**
 * When a finding repeats an earlier one of its batch: the same evidence but for the time and log event
 * id, so that buildSignals redacts it once. Decided by comparing the fields the evidence is made of,
 * never by serializing them: a batch of one execution in a loop costs a few dozen comparisons per
 * finding, not a kilobyte of JSON. Pure.
 */
import type { Actor, AncestorInfo, ContainerInfo, Finding, WorkloadInfo } from "../model.js";

/**
 * Equal JSON-like values: the same primitive (`===`), or arrays of equal items, or plain objects with
 * the same keys in the same order and equal values; any other object is equal only to itself. Stricter
 * than equal JSON text (`JSON.stringify(a) === JSON.stringify(b)` whenever it holds), without writing any.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || !isPlain(a) || !isPlain(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i] as string;
    if (key !== keysB[i]) return false;
    if (!sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Every field of `T`: a field added to the model does not compile until it is listed here, and
 * test/signals/repeats.test.ts checks that the comparisons below tell apart each listed field.
 */
function fieldsOf<T>(fields: Record<keyof Required<T>, true>): readonly (keyof T)[] {
  return Object.keys(fields) as (keyof T)[];
}
export const COMPARED_FIELDS = {
  ancestor: fieldsOf<AncestorInfo>({ name: true, path: true, args: true }),
  container: fieldsOf<ContainerInfo>({ id: true, name: true, image: true }),
  workload: fieldsOf<WorkloadInfo>({
    platform: true,
    cluster: true,
    namespace: true,
    pod: true,
    task: true,
    node: true,
    owner: true,
    labels: true,
    service: true,
    family: true,
  }),
  actor: fieldsOf<Actor>({ user: true, sourceIPs: true, userAgent: true }),
};

function sameAncestor(a: AncestorInfo | undefined, b: AncestorInfo | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return a.name === b.name && a.path === b.path && sameValue(a.args, b.args);
}

function sameAncestors(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b)) return Array.isArray(a) === Array.isArray(b);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameAncestor(a[i], b[i])) return false;
  return true;
}

function sameContainer(a: ContainerInfo | undefined, b: ContainerInfo | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return a.id === b.id && a.name === b.name && a.image === b.image;
}

function sameWorkload(a: WorkloadInfo | undefined, b: WorkloadInfo | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return (
    a.platform === b.platform &&
    a.cluster === b.cluster &&
    a.namespace === b.namespace &&
    a.pod === b.pod &&
    a.task === b.task &&
    a.node === b.node &&
    (a.owner === b.owner || (a.owner?.kind === b.owner?.kind && a.owner?.name === b.owner?.name)) &&
    sameLabels(a.labels, b.labels) &&
    a.service === b.service &&
    a.family === b.family
  );
}

/**
 * The same labels, in any order: the signal keeps them sorted. Compared without listing their keys
 * (no allocation per finding); anything but a plain object is compared as {@link sameValue} does.
 */
function sameLabels(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b) || !isPlain(a) || !isPlain(b)) return sameValue(a, b);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let keys = 0;
  for (const key in ra) {
    if (!Object.hasOwn(rb, key) || ra[key] !== rb[key]) return false;
    keys++;
  }
  for (const _key in rb) keys--;
  return keys === 0;
}

function sameActor(a: Actor | undefined, b: Actor | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return a.user === b.user && sameValue(a.sourceIPs, b.sourceIPs) && a.userAgent === b.userAgent;
}

/**
 * True when every field the evidence of a finding is made of is the same in `a` and `b`: its rule,
 * utility, reasons and process, the event's process, ancestors, container, workload, actor, session
 * and source, all but the time and log event id, which tell one run of a command from the next.
 * These are the fields src/signals/build.ts reads (evidenceText, aggregationKey): one read there must
 * be compared here.
 */
export function sameEvidence(a: Finding, b: Finding): boolean {
  return sameWorkload(a.event.workload, b.event.workload) && sameEvidenceButWorkload(a, b);
}

/** {@link sameEvidence} but for the workload: the same execution in another pod or task. Most telling first. */
export function sameEvidenceButWorkload(a: Finding, b: Finding): boolean {
  if (a === b) return true;
  const ea = a.event;
  const eb = b.event;
  const pa = a.process;
  const pb = b.process;
  const sa = ea.source;
  const sb = eb.source;
  return (
    pa?.name === pb?.name &&
    pa?.path === pb?.path &&
    sameValue(pa?.args, pb?.args) &&
    ea.container?.id === eb.container?.id &&
    a.rule?.id === b.rule?.id &&
    a.utility?.name === b.utility?.name &&
    ea.sessionKey === eb.sessionKey &&
    sa?.format === sb?.format &&
    sa?.logGroup === sb?.logGroup &&
    sa?.logStream === sb?.logStream &&
    sa?.owner === sb?.owner &&
    sa?.vouchedBy === sb?.vouchedBy &&
    sameValue(a.reasons, b.reasons) &&
    // Usually the utility is the event's process, just compared.
    ((pa === ea.process && pb === eb.process) ||
      (ea.process?.name === eb.process?.name &&
        ea.process?.path === eb.process?.path &&
        sameValue(ea.process?.args, eb.process?.args))) &&
    sameAncestors(ea.ancestors, eb.ancestors) &&
    sameContainer(ea.container, eb.container) &&
    sameActor(ea.actor, eb.actor)
  );
}
