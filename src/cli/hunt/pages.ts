/**
 * Reading CloudWatch Logs for a hunt: which log groups a target names, one FilterLogEvents page at a
 * time with backoff while the service throttles (the shared retry module's classification), and a
 * page turned into the per-stream batches the pipeline takes.
 */
import {
  type CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from "@aws-sdk/client-cloudwatch-logs";
import { type Backoff, backoffDelay, isThrottling } from "../../aws/retry.js";
import type { LogBatch, LogEvent } from "../../model.js";
import type { CliIO } from "../io.js";
import { logGroupPages } from "../logs-client.js";
import { formatDuration, notice } from "../progress.js";
import type { HuntPlan } from "./args.js";
import type { ResumeState } from "./resume.js";

/** How hard to insist when CloudWatch Logs throttles, on top of the SDK's own retries. */
export interface RetryPolicy extends Backoff {
  attempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 20_000,
});

export function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error as { name?: string })?.name === "AbortError";
}

/** Why a hunt ended early; each kind maps to an exit status. */
export type Stop =
  | { kind: "throttled"; error: unknown }
  | { kind: "interrupted" }
  | { kind: "error"; error: unknown }
  | { kind: "publish"; error: unknown };

export class StopHunt extends Error {
  constructor(readonly stop: Stop) {
    super(stop.kind);
  }
}

function accountOf(arn: string | undefined): string | undefined {
  const account = arn?.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** A log group to search and the account that owns it (for the signals' source.owner). */
export interface Target {
  name: string;
  owner: string;
}

async function describeGroups(
  logs: CloudWatchLogsClient,
  prefix: string,
  signal: AbortSignal,
  exactOnly: boolean,
): Promise<Target[]> {
  const found: Target[] = [];
  for await (const groups of logGroupPages(logs, prefix, signal)) {
    for (const group of groups) {
      if (!group.logGroupName) continue;
      if (exactOnly && group.logGroupName !== prefix) continue;
      found.push({ name: group.logGroupName, owner: accountOf(group.logGroupArn ?? group.arn) ?? "unknown" });
    }
    // Results are sorted by name and the exact name sorts first among its prefix matches.
    if (exactOnly && groups.length > 0) break;
  }
  return found;
}

/** Groups one FilterLogEvents page into per-stream batches, in order of first appearance. */
export function pageToBatches(group: Target, events: FilteredLogEvent[]): LogBatch[] {
  const byStream = new Map<string, LogBatch>();
  events.forEach((event, index) => {
    const logStream = event.logStreamName ?? "unknown";
    let batch = byStream.get(logStream);
    if (!batch) {
      batch = { owner: group.owner, logGroup: group.name, logStream, subscriptionFilters: [], logEvents: [] };
      byStream.set(logStream, batch);
    }
    if (typeof event.message !== "string") {
      batch.dropped ??= [];
      batch.dropped.push({ index, reason: "log event message is missing" });
      return;
    }
    const logEvent: LogEvent = {
      // FilterLogEvents eventIds are the ids subscriptions deliver, so signal ids match the live path.
      id: event.eventId || `${logStream}:${event.timestamp ?? 0}:${index}`,
      timestamp: event.timestamp ?? 0,
      message: event.message,
    };
    batch.logEvents.push(logEvent);
  });
  return [...byStream.values()];
}

export async function resolveTargets(
  logs: CloudWatchLogsClient,
  target: ResumeState["target"],
  signal: AbortSignal,
  io: CliIO,
): Promise<{ targets: Target[]; missing: string[] }> {
  if ("groups" in target) {
    const targets: Target[] = [];
    const missing: string[] = [];
    for (const name of target.groups) {
      const [found] = await describeGroups(logs, name, signal, true);
      if (found) targets.push(found);
      else missing.push(name);
    }
    return { targets, missing };
  }
  const byName = new Map<string, Target>();
  for (const prefix of target.prefixes) {
    const found = await describeGroups(logs, prefix, signal, false);
    if (found.length === 0) io.stderr(`warning: no log group name starts with "${prefix}"\n`);
    for (const t of found) byName.set(t.name, t);
  }
  const targets = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { targets, missing: [] };
}

/** Where to start after a resume: the token's group, found by name in the (re-)resolved list. */
export function startIndex(targets: Target[], resume: ResumeState): { index: number; sameGroup: boolean } {
  const exact = targets.findIndex((t) => t.name === resume.group);
  if (exact >= 0) return { index: exact, sameGroup: true };
  // The group disappeared since; continue with the next name in order.
  const after = targets.findIndex((t) => t.name > resume.group);
  return { index: after < 0 ? targets.length : after, sameGroup: false };
}

export async function fetchPage(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  plan: HuntPlan,
  nextToken: string | undefined,
  signal: AbortSignal,
  retry: RetryPolicy,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  io: CliIO,
): Promise<FilterLogEventsCommandOutput | "not found"> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await logs.send(
        new FilterLogEventsCommand({
          logGroupName,
          startTime: plan.since,
          // endTime is inclusive in the API; --until is exclusive so adjacent windows do not overlap.
          endTime: plan.until - 1,
          ...(plan.limit ? { limit: plan.limit } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (isAbort(error, signal)) throw new StopHunt({ kind: "interrupted" });
      if ((error as { name?: string }).name === "ResourceNotFoundException") return "not found";
      if (!isThrottling(error)) throw new StopHunt({ kind: "error", error });
      if (attempt >= retry.attempts) throw new StopHunt({ kind: "throttled", error });
      const delay = backoffDelay(attempt, retry);
      notice(io, `throttled by CloudWatch Logs; retrying in ${formatDuration(delay)}`);
      await sleep(delay, signal);
      if (signal.aborted) throw new StopHunt({ kind: "interrupted" });
    }
  }
}
