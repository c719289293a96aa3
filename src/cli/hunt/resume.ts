/**
 * What a hunt carries across a stop: its counters and where it was (group, page token), written as a
 * base64url token the user pastes back with --resume, and read back with every field checked.
 */
import { UsageError } from "../../errors.js";
import { type BatchStats, SEVERITIES, type Severity } from "../../model.js";
import { execEventCount } from "../../pipeline.js";
import { isSeverity } from "../../severity.js";

/** The counters a hunt carries across a resume. */
export interface HuntCounts {
  events: number;
  execEvents: number;
  findings: Record<Severity, number>;
  signals: number;
}

/** Everything needed to continue a hunt where it stopped. */
export interface ResumeState {
  v: 1;
  /** Explicit groups, or prefixes resolved again on resume. */
  target: { groups: string[] } | { prefixes: string[] };
  /** Index into the resolved group list, and that group's name (to re-find it after a re-resolve). */
  index: number;
  group: string;
  /** FilterLogEvents page token within `group`; absent at the group's start. */
  nextToken?: string;
  since: number;
  until: number;
  minSeverity: Severity;
  limit?: number;
  /** Totals of the earlier runs, and the part of them that belongs to `group`. */
  totals: HuntCounts;
  current: HuntCounts;
}

export function emptyCounts(): HuntCounts {
  return { events: 0, execEvents: 0, findings: { low: 0, medium: 0, high: 0, critical: 0 }, signals: 0 };
}

/** Adds `from` into `into`, or takes it away with `sign` -1. */
export function addCounts(into: HuntCounts, from: HuntCounts, sign: 1 | -1 = 1): void {
  into.events += sign * from.events;
  into.execEvents += sign * from.execEvents;
  for (const severity of SEVERITIES) into.findings[severity] += sign * from.findings[severity];
  into.signals += sign * from.signals;
}

export function countsOf(stats: BatchStats): HuntCounts {
  return {
    events: stats.logEvents,
    execEvents: execEventCount(stats),
    findings: { ...stats.findings },
    signals: stats.signals,
  };
}

/** Serializes a resume state as base64url JSON (safe to paste in a shell without quoting). */
export function encodeResumeToken(state: ResumeState): string {
  return Buffer.from(JSON.stringify(state), "utf8").toString("base64url");
}

function isCounts(value: unknown): value is HuntCounts {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  const nonNegative = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  const findings = c.findings as Record<string, unknown> | null | undefined;
  return (
    nonNegative(c.events) &&
    nonNegative(c.execEvents) &&
    nonNegative(c.signals) &&
    typeof findings === "object" &&
    findings !== null &&
    SEVERITIES.every((s) => nonNegative(findings[s]))
  );
}

function isStringList(value: unknown): value is string[] {
  return (
    Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v.length > 0)
  );
}

/** Parses and validates a token printed by an earlier run; throws {@link UsageError} when it is not one. */
export function decodeResumeToken(token: string): ResumeState {
  const invalid = (why: string) => new UsageError(`--resume: not a hunt resume token (${why})`);
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token.trim())) throw new Error("not base64url");
    parsed = JSON.parse(Buffer.from(token.trim(), "base64url").toString("utf8"));
  } catch {
    throw invalid("it does not decode to JSON");
  }
  if (typeof parsed !== "object" || parsed === null) throw invalid("not an object");
  const s = parsed as Record<string, unknown>;
  if (s.v !== 1) throw invalid(`unknown version ${JSON.stringify(s.v)}`);
  const target = s.target as Record<string, unknown> | null | undefined;
  const targetOk =
    typeof target === "object" &&
    target !== null &&
    (isStringList(target.groups) || isStringList(target.prefixes)) &&
    !(target.groups && target.prefixes);
  if (!targetOk) throw invalid("no log groups or prefixes");
  if (typeof s.index !== "number" || !Number.isSafeInteger(s.index) || s.index < 0)
    throw invalid("bad index");
  if (typeof s.group !== "string" || !s.group) throw invalid("no current group");
  if (s.nextToken !== undefined && typeof s.nextToken !== "string") throw invalid("bad page token");
  if (typeof s.since !== "number" || typeof s.until !== "number" || !(s.since < s.until))
    throw invalid("bad window");
  if (!isSeverity(s.minSeverity)) throw invalid("bad minimum severity");
  if (s.limit !== undefined && !(typeof s.limit === "number" && s.limit >= 1 && s.limit <= 10_000)) {
    throw invalid("bad page limit");
  }
  if (!isCounts(s.totals) || !isCounts(s.current)) throw invalid("bad counts");
  return parsed as ResumeState;
}
