/**
 * One hunt, from resolved log groups to the summary: page by page through each group, every page run
 * through the Lambda's pipeline and committed (printed, published, counted) only when whole, so a
 * stop (throttling, Ctrl-C, an error) resumes with the very page it did not finish.
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SNSClient } from "@aws-sdk/client-sns";
import { sleep as defaultSleep } from "../../aws/retry.js";
import type { Config } from "../../config.js";
import type { Severity, Signal } from "../../model.js";
import { addStats, emptyStats, processBatch } from "../../pipeline.js";
import type { CliIO } from "../io.js";
import { createLogsClient } from "../logs-client.js";
import { notice, ProgressReporter, ratePerSecond } from "../progress.js";
import { COMMAND, type HuntFlags, type HuntPlan } from "./args.js";
import { describeStop, formatSummaryTable, type GroupRow, type HuntSummary } from "./output.js";
import {
  DEFAULT_RETRY,
  fetchPage,
  isAbort,
  pageToBatches,
  type RetryPolicy,
  resolveTargets,
  type Stop,
  StopHunt,
  startIndex,
  type Target,
} from "./pages.js";
import { makePublisher } from "./publish.js";
import {
  addCounts,
  countsOf,
  emptyCounts,
  encodeResumeToken,
  type HuntCounts,
  type ResumeState,
} from "./resume.js";

export interface HuntDeps {
  logs?: CloudWatchLogsClient;
  sns?: SNSClient;
  /** The signal ledger's client, when LEDGER_TABLE is set (default: createLedgerClient()). */
  dynamodb?: DynamoDBClient;
  /** Stops the hunt resumably, like Ctrl-C (the command listens for SIGINT when absent). */
  interrupt?: AbortSignal;
  retry?: RetryPolicy;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  progress?: { ttyIntervalMs?: number; plainIntervalMs?: number };
}

/** Runs one planned hunt to its end or its stop; returns the exit status `hunt --help` lists. */
export async function hunt(
  plan: HuntPlan & { minSeverity: Severity },
  flags: HuntFlags,
  config: Readonly<Config>,
  io: CliIO,
  deps: HuntDeps,
  signal: AbortSignal,
): Promise<number> {
  const startedAt = io.now();
  const logs = deps.logs ?? createLogsClient(config.region ? { region: config.region } : {});
  const retry = deps.retry ?? DEFAULT_RETRY;
  const sleep = deps.sleep ?? defaultSleep;
  const publisher = flags.publish ? await makePublisher(config, deps, io) : null;
  const region = config.region ?? (await logs.config.region().catch(() => undefined));

  let resolved: { targets: Target[]; missing: string[] };
  try {
    resolved = await resolveTargets(logs, plan.target, signal, io);
  } catch (error) {
    if (isAbort(error, signal)) {
      io.stderr("interrupted before the hunt started\n");
      return 130;
    }
    io.stderr(`error: cannot list log groups: ${(error as Error).name}: ${(error as Error).message}\n`);
    return 1;
  }
  const { targets, missing } = resolved;
  for (const name of missing) io.stderr(`error: log group not found: ${name}\n`);
  if (targets.length === 0) {
    io.stderr("error: no log group to search\n");
    return 1;
  }

  let index = 0;
  let nextToken: string | undefined;
  const earlier = plan.resume ? structuredClone(plan.resume.totals) : null;
  let carried = emptyCounts();
  if (plan.resume) {
    const start = startIndex(targets, plan.resume);
    index = start.index;
    if (start.sameGroup) {
      nextToken = plan.resume.nextToken;
      carried = structuredClone(plan.resume.current);
    } else {
      io.stderr(`warning: log group ${plan.resume.group} no longer exists; continuing with the next one\n`);
    }
    if (earlier) {
      // The current group's earlier part is shown in its own row, not in "(earlier runs)".
      addCounts(earlier, carried, -1);
    }
  }

  const rows: GroupRow[] = targets.map((t) => ({
    logGroup: t.name,
    status: "pending",
    counts: emptyCounts(),
  }));
  const firstRow = rows[index];
  if (firstRow) firstRow.counts = carried;
  const stats = emptyStats();
  let published = 0;
  const progress = new ProgressReporter(io, startedAt, deps.progress);
  const span = plan.until - plan.since;

  const totals = (): HuntCounts => {
    const t = emptyCounts();
    if (earlier) addCounts(t, earlier);
    for (const row of rows) addCounts(t, row.counts);
    return t;
  };

  let stop: Stop | null = null;
  for (; index < targets.length; index++) {
    const target = targets[index]!;
    const row = rows[index]!;
    row.status = "partial";
    let maxTimestamp = plan.since;
    try {
      do {
        if (signal.aborted) throw new StopHunt({ kind: "interrupted" });
        const page = await fetchPage(logs, target.name, plan, nextToken, signal, retry, sleep, io);
        if (page === "not found") {
          row.status = "not found";
          notice(io, `error: log group not found while searching: ${target.name}`);
          break;
        }
        const events = page.events ?? [];
        const pageSignals: Signal[] = [];
        const pageStats = emptyStats();
        for (const batch of pageToBatches(target, events)) {
          const result = processBatch(batch, {
            minSeverity: plan.minSeverity,
            allowlist: config.allowlist,
            trust: config.trust,
            ...(region ? { region } : {}),
            ...(config.channels ? { channels: config.channels } : {}),
          });
          pageSignals.push(...result.signals);
          addStats(pageStats, result.stats);
        }
        if (publisher && pageSignals.length > 0) {
          try {
            published += await publisher(pageSignals);
          } catch (error) {
            throw new StopHunt({ kind: "publish", error });
          }
        }
        // Commit the page only now: a stop before this line resumes with this very page.
        for (const s of pageSignals) io.stdout(JSON.stringify(s));
        addStats(stats, pageStats);
        addCounts(row.counts, countsOf(pageStats));
        for (const e of events) if ((e.timestamp ?? 0) > maxTimestamp) maxTimestamp = e.timestamp ?? 0;
        const previous = nextToken;
        nextToken = page.nextToken;
        if (nextToken !== undefined && nextToken === previous && events.length === 0) nextToken = undefined;
        const groupFraction = Math.min(1, Math.max(0, (maxTimestamp - plan.since) / span));
        progress.update({
          label: `group ${index + 1}/${targets.length} ${target.name}`,
          events: stats.logEvents,
          signals: totals().signals,
          fraction: (index + (nextToken ? groupFraction : 1)) / targets.length,
        });
      } while (nextToken);
    } catch (error) {
      if (!(error instanceof StopHunt)) throw error;
      stop = error.stop;
      break;
    }
    if (row.status === "partial") row.status = "done";
    nextToken = undefined;
  }
  progress.finish();

  const elapsedMs = io.now() - startedAt;
  let stopped: HuntSummary["stopped"] = null;
  if (stop) {
    const target = targets[index]!;
    const state: ResumeState = {
      v: 1,
      target: plan.target,
      index,
      group: target.name,
      ...(nextToken ? { nextToken } : {}),
      since: plan.since,
      until: plan.until,
      minSeverity: plan.minSeverity,
      ...(plan.limit ? { limit: plan.limit } : {}),
      totals: totals(),
      current: rows[index]?.counts ?? emptyCounts(),
    };
    const token = encodeResumeToken(state);
    stopped = { reason: describeStop(stop, retry), resumeToken: token };
    io.stderr(`\nhunt stopped: ${stopped.reason}\nresume with: ${COMMAND} --resume ${token}\n`);
  }

  const summary: HuntSummary = {
    since: new Date(plan.since).toISOString(),
    until: new Date(plan.until).toISOString(),
    groups: rows.filter((r) => r.status !== "pending" || !stop),
    earlier,
    totals: totals(),
    stats,
    elapsedMs,
    eventsPerSecond: ratePerSecond(stats.logEvents, elapsedMs),
    published,
    stopped,
  };
  io.stderr(flags.json ? `${JSON.stringify(summary)}\n` : formatSummaryTable(summary));

  if (stop?.kind === "interrupted") return 130;
  if (stop?.kind === "throttled") return 3;
  if (stop) return 1;
  return missing.length > 0 || rows.some((r) => r.status === "not found") ? 1 : 0;
}
