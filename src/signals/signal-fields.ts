/**
 * Every field of a {@link Signal}, declared once with what it is for: free text (redacted, cut to the
 * renderer's budget), an argument vector (redacted as that program's arguments, cut keeping the
 * evidence), a list (bounded, a marker saying how much went), labels, or a fixed value (enums,
 * numbers, flags) that is neither. The signal builder, `redactSignal` and the renderers all walk
 * a signal through {@link mapFields}: a field added to the model does not compile until it is declared
 * here, and once declared no pass can skip it. A key that is not declared does not survive a walk.
 */
import type { Actor, AncestorInfo, LedgerNote, Signal, WorkloadInfo } from "../model.js";

/** A string: redacted as text; cut at the renderer's character budget, never below `floor`. */
export interface TextField {
  kind: "text";
  floor?: number;
}
/** An argument vector of the program `tool(parent)` names; at most the renderer's `budget` items. */
export interface ArgsField {
  kind: "args";
  budget: "args" | "ancestorArgs";
  tool(parent: Readonly<Record<string, unknown>>): string;
}
/** How many items of a list the renderer keeps: one of its budgets, or a fixed number. */
export type ItemBudget = "reasons" | "eventIds" | "ancestors" | number;
/** A list of strings, each one like `item`. */
export interface TextsField {
  kind: "texts";
  item: TextField;
  budget?: ItemBudget;
  /** What stands for the items a cut dropped (the items are then one more than the budget). */
  marker?: (dropped: number) => string;
}
/** A list of objects, each one walked with `fields`. */
export interface RecordsField<T> {
  kind: "records";
  fields: FieldsOf<T>;
  budget: ItemBudget;
  marker?: (dropped: number) => T;
}
export interface ObjectField<T> {
  kind: "object";
  fields: FieldsOf<T>;
}
/** String keys to string values (labels): keys and values are text; other values are dropped. */
export interface MapField {
  kind: "map";
}
/** Neither text nor evidence: enums, counts, flags, the rule's fixed identity. Kept as they are. */
export interface FixedField {
  kind: "fixed";
}

type Is<V, T> = [NonNullable<V>] extends [T] ? true : false;
/** The declarations a field of type `V` may have. */
export type FieldFor<V> =
  Is<V, string> extends true
    ? TextField | FixedField
    : Is<V, readonly string[]> extends true
      ? ArgsField | TextsField
      : NonNullable<V> extends readonly (infer I)[]
        ? RecordsField<I>
        : Is<V, number | boolean> extends true
          ? FixedField
          : Is<V, Readonly<Record<string, string>>> extends true
            ? MapField | ObjectField<NonNullable<V>> | FixedField
            : ObjectField<NonNullable<V>> | FixedField;
/** One declaration for every key of `T`, optional keys included. */
export type FieldsOf<T> = { readonly [K in keyof T]-?: FieldFor<T[K]> };
export type Field =
  | TextField
  | ArgsField
  | TextsField
  | RecordsField<unknown>
  | ObjectField<unknown>
  | MapField
  | FixedField;

export const TEXT: TextField = { kind: "text" };
export const FIXED: FixedField = { kind: "fixed" };

function programOf(parent: Readonly<Record<string, unknown>>): string {
  const { name, path } = parent;
  return typeof name === "string" ? name : typeof path === "string" ? path : "";
}

export const PROCESS_FIELDS: FieldsOf<Signal["process"]> = {
  name: TEXT,
  path: TEXT,
  args: { kind: "args", budget: "args", tool: programOf },
};
export const ANCESTOR_FIELDS: FieldsOf<AncestorInfo> = {
  name: TEXT,
  path: TEXT,
  args: { kind: "args", budget: "ancestorArgs", tool: programOf },
};
export const CONTAINER_FIELDS: FieldsOf<Signal["container"]> = { id: TEXT, name: TEXT, image: TEXT };
export const WORKLOAD_FIELDS: FieldsOf<WorkloadInfo> = {
  platform: FIXED,
  cluster: TEXT,
  namespace: TEXT,
  pod: TEXT,
  task: TEXT,
  node: TEXT,
  owner: { kind: "object", fields: { kind: TEXT, name: TEXT } },
  labels: { kind: "map" },
  service: TEXT,
  family: TEXT,
};
export const ACTOR_FIELDS: FieldsOf<Actor> = {
  user: TEXT,
  sourceIPs: { kind: "texts", item: TEXT, budget: 8 },
  userAgent: TEXT,
};
export const SOURCE_FIELDS: FieldsOf<Signal["source"]> = {
  format: FIXED,
  logGroup: TEXT,
  logStream: TEXT,
  eventIds: { kind: "texts", item: TEXT, budget: "eventIds" },
  owner: TEXT,
  vouchedBy: TEXT,
};
const LEDGER_FIELDS: FieldsOf<LedgerNote> = { group: TEXT, repeats: FIXED, since: TEXT, pagingCapped: FIXED };
const LINK = (floor: number): TextField => ({ kind: "text", floor });

export const SIGNAL_FIELDS: FieldsOf<Signal> = {
  id: TEXT,
  rule: FIXED,
  severity: FIXED,
  reasons: { kind: "texts", item: TEXT, budget: "reasons", marker: (n) => `…[truncated ${n} reasons]` },
  timestamp: TEXT,
  firstSeen: TEXT,
  lastSeen: TEXT,
  count: FIXED,
  title: TEXT,
  // The fixed sentence around the utility's name always fits.
  message: { kind: "text", floor: 160 },
  utility: { kind: "object", fields: { name: TEXT, category: FIXED } },
  process: { kind: "object", fields: PROCESS_FIELDS },
  ancestors: {
    kind: "records",
    fields: ANCESTOR_FIELDS,
    budget: "ancestors",
    marker: (n) => ({ name: `…[truncated ${n} ancestors]` }),
  },
  container: { kind: "object", fields: CONTAINER_FIELDS },
  workload: { kind: "object", fields: WORKLOAD_FIELDS },
  inContainer: FIXED,
  viaExecSession: FIXED,
  actor: { kind: "object", fields: ACTOR_FIELDS },
  source: { kind: "object", fields: SOURCE_FIELDS },
  // Our own steps and links: long enough to stay whole at every level.
  triage: { kind: "texts", item: LINK(512) },
  truncated: FIXED,
  links: {
    kind: "object",
    fields: { logStream: LINK(2048), mitreTactic: LINK(256), mitreTechnique: LINK(256), rule: LINK(256) },
  },
  ledger: { kind: "object", fields: LEDGER_FIELDS },
};

/** What one walk does to the text it meets. */
export interface FieldPass {
  /** Every string of a text field, list item, label key and label value. */
  text(value: string, field: TextField): string;
  /** Every argument vector, with the program it belongs to (the parent's name, else its path). */
  args(values: readonly string[], tool: string, field: ArgsField): string[];
  /** How many items of a list to keep (the rest are replaced by the field's marker); default all. */
  keep?(length: number, budget: ItemBudget | undefined): number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Items kept by `pass`, walked, and the marker for the rest. */
function mapList<T>(
  items: unknown,
  pass: FieldPass,
  budget: ItemBudget | undefined,
  item: (value: unknown) => T,
  marker: ((dropped: number) => T) | undefined,
): T[] {
  const list: readonly unknown[] = Array.isArray(items) ? items : [];
  const keep = Math.min(list.length, pass.keep?.(list.length, budget) ?? list.length);
  const out = list.slice(0, keep).map(item);
  if (keep < list.length && marker) out.push(marker(list.length - keep));
  return out;
}

function mapValue(value: unknown, field: Field, parent: Record<string, unknown>, pass: FieldPass): unknown {
  switch (field.kind) {
    case "fixed":
      return value;
    case "text":
      // Anything but a string or null is no text a reader may see.
      return value === null ? null : pass.text(typeof value === "string" ? value : "", field);
    case "args":
      return pass.args(
        Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : String(v ?? ""))) : [],
        field.tool(parent),
        field,
      );
    case "texts":
      return mapList(
        value,
        pass,
        field.budget,
        (v) => pass.text(typeof v === "string" ? v : "", field.item),
        field.marker,
      );
    case "records":
      return mapList(
        value,
        pass,
        field.budget,
        (v) => mapFields(isRecord(v) ? v : {}, field.fields as FieldsOf<Record<string, unknown>>, pass),
        field.marker as ((dropped: number) => unknown) | undefined,
      );
    case "object":
      return mapFields(isRecord(value) ? value : {}, field.fields as FieldsOf<Record<string, unknown>>, pass);
    case "map": {
      if (!isRecord(value)) return {};
      const entries = Object.entries(value).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string",
      );
      return Object.fromEntries(entries.map(([k, v]) => [pass.text(k, TEXT), pass.text(v, TEXT)]));
    }
  }
}

/**
 * A copy of `object` with every declared field mapped by `pass`, in the object's own key order.
 * Undefined values stay absent; keys `fields` does not declare are left out.
 */
export function mapFields<T>(object: T, fields: FieldsOf<T>, pass: FieldPass): T {
  const source = object as Record<string, unknown>;
  const declared = fields as Readonly<Record<string, Field>>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const field = declared[key];
    const value = source[key];
    if (field === undefined || value === undefined) continue;
    out[key] = mapValue(value, field, source, pass);
  }
  return out as T;
}

/** {@link mapFields} over a whole signal. */
export function mapSignal(signal: Signal, pass: FieldPass): Signal {
  return mapFields(signal, SIGNAL_FIELDS, pass);
}
