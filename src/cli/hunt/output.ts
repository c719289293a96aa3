/**
 * What a hunt tells its user at the end: the per-group summary (a table, or one JSON line) and why
 * it stopped early. Pure.
 */
import { type BatchStats, SEVERITIES } from "../../model.js";
import { formatCount, formatDuration, formatTable } from "../progress.js";
import type { RetryPolicy, Stop } from "./pages.js";
import type { HuntCounts } from "./resume.js";

export interface GroupRow {
  logGroup: string;
  status: "done" | "partial" | "not found" | "pending";
  counts: HuntCounts;
}

export interface HuntSummary {
  since: string;
  until: string;
  groups: GroupRow[];
  earlier: HuntCounts | null;
  totals: HuntCounts;
  stats: BatchStats;
  elapsedMs: number;
  eventsPerSecond: number | null;
  published: number;
  stopped: { reason: string; resumeToken: string } | null;
}

function findingsCells(counts: HuntCounts): string[] {
  return SEVERITIES.map((s) => formatCount(counts.findings[s]));
}

/** The end-of-hunt table (stderr). */
export function formatSummaryTable(summary: HuntSummary): string {
  const columns = [
    { header: "log group" },
    { header: "status" },
    { header: "events", align: "right" as const },
    { header: "exec", align: "right" as const },
    ...SEVERITIES.map((s) => ({ header: s, align: "right" as const })),
    { header: "signals", align: "right" as const },
  ];
  const row = (name: string, status: string, c: HuntCounts) => [
    name,
    status,
    formatCount(c.events),
    formatCount(c.execEvents),
    ...findingsCells(c),
    formatCount(c.signals),
  ];
  const rows = summary.groups.map((g) => row(g.logGroup, g.status, g.counts));
  if (summary.earlier) rows.unshift(row("(earlier runs)", "done", summary.earlier));
  rows.push(row("total", "", summary.totals));
  const rate = summary.eventsPerSecond === null ? "–" : formatCount(summary.eventsPerSecond);
  const thisRun = summary.groups.reduce((n, g) => n + g.counts.events, 0);
  return (
    `\nhunt ${summary.since} → ${summary.until}\n${formatTable(columns, rows)}` +
    `elapsed ${formatDuration(summary.elapsedMs)} · ${formatCount(thisRun)} events scanned in this run · ${rate} events/s` +
    (summary.published > 0 ? ` · ${formatCount(summary.published)} published` : "") +
    "\n"
  );
}

export function describeStop(stop: Stop, retry: RetryPolicy): string {
  const detail = (error: unknown) =>
    `${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? error}`;
  switch (stop.kind) {
    case "interrupted":
      return "interrupted";
    case "throttled":
      return `CloudWatch Logs kept throttling after ${retry.attempts} retries (${detail(stop.error)})`;
    case "publish":
      return `signals could not be published (${detail(stop.error)}); the page is searched again on resume`;
    case "error":
      return `CloudWatch Logs error (${detail(stop.error)})`;
  }
}
