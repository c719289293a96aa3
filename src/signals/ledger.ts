/**
 * The signal ledger: one DynamoDB item per group (src/signals/group-key.ts), shared by every Lambda
 * instance, so an incident alerts once per window instead of once per container, retry or replica.
 *
 * Per group and invocation (signals of one group in a batch are judged together, the most severe
 * one speaking for them):
 * - claim: conditional PutItem (`attribute_not_exists(pk) OR windowEnds <= :now`) with severity,
 *   first seen, a repeat count, the window's end, a TTL and the claimant's token. Claimed: publish.
 *   The item it replaced (an expired window) tells how often the group repeated: the signal says so.
 * - repeat: the claim fails and returns the item (ReturnValuesOnConditionCheckFailure); UpdateItem
 *   ADD adds the executions to its count; nothing is published. A container remembers the windows
 *   it saw, and the next repeat goes straight to that UpdateItem: one request per group.
 * - breakthrough: a severity above the recorded one publishes and raises the record (conditional
 *   UpdateItem on the window and the lower rank), taking over the token.
 * - release: when the publish fails, each claim it made is deleted (conditional DeleteItem on its
 *   token), so Lambda's retry claims and publishes again.
 * - pager budget: a signal that would page takes one of PAGER_MAX_PER_WINDOW slots of its workload
 *   (an item `pages|<where>`); without one it still goes to the alert topic, marked `pagingCapped`.
 * Any DynamoDB error after the SDK's retries fails open: the signal is published (a duplicate is
 * better than a silence), LedgerErrors counts it, the first one is logged, and the rest of the
 * invocation skips the ledger.
 *
 * Past ~400 lines on purpose: claim, repeat, breakthrough, release and the pager budget are one
 * protocol over the same items and conditions; each step's correctness depends on the others' writes,
 * so they are read together. The DynamoDB client and its error handling are in ledger-client.ts.
 */
import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { mapBounded } from "../aws/retry.js";
import type { Config } from "../config.js";
import { PublishError } from "../errors.js";
import type { Severity, Signal } from "../model.js";
import { atLeast, severityRank } from "../severity.js";
import { METRIC, type Telemetry } from "../telemetry.js";
import { groupKey, workloadKey } from "./group-key.js";

/** Name of the TTL attribute every deployment enables on the table. */
export const LEDGER_TTL_ATTRIBUTE = "expiresAt";
/** Partition key of the table (string). */
export const LEDGER_KEY_ATTRIBUTE = "pk";
/** How long an item outlives its window: a hunt over the past week still sees what was sent. */
const RETENTION_SECONDS = 7 * 24 * 3600;
/** Attempts per group when other instances change the item between our reads and writes. */
const MAX_ATTEMPTS = 3;
/** DynamoDB requests in flight per invocation. */
const CONCURRENCY = 8;

export interface LedgerOptions {
  table: string;
  /** DEDUP_WINDOW_SECONDS. */
  windowSeconds: number;
  /** PAGER_MAX_PER_WINDOW: pages per workload per window. */
  pagerMaxPerWindow: number;
  /** PAGER_MIN_SEVERITY when a pager topic is configured; absent: nothing pages, no budget is kept. */
  pagerMinSeverity?: Severity;
  /** The time a signal is judged at, epoch ms: now in Lambda; hunts pass the signal's own time. */
  clock?: (signal: Signal) => number;
}

/** A claim this invocation holds, to release if its publish fails. */
interface Claim {
  signalId: string;
  key: string;
  token: string;
  /** The pager slot it took: the workload's item and its window end. */
  page?: { key: string; windowEnds: number };
}

/** What the ledger decided for one batch of signals. */
export interface Admission {
  /** What the sink should publish: one signal per claimed group (annotated), every signal of an unjudged one. */
  publish: Signal[];
  claims: Claim[];
  counts: { claims: number; repeats: number; breakthroughs: number; errors: number; pagesCapped: number };
}

/** The ledger as one invocation uses it. */
export interface LedgerGate {
  /** Judges every signal; never throws (DynamoDB failures publish). */
  admit(signals: Signal[]): Promise<Admission>;
  /** Releases the claims of the signals `error` says were not delivered (all when it cannot tell). */
  release(admission: Admission | undefined, error: unknown): Promise<void>;
}

/** What a published signal says about the window before it. */
export function repeatNote(repeats: number, since: string): string {
  return `seen ${repeats} more ${repeats === 1 ? "time" : "times"} since ${since}, when this group last alerted`;
}

/** What a signal that did not page says. */
export function cappedNote(max: number): string {
  return `paging capped: this workload already paged ${max} times in this window (PAGER_MAX_PER_WINDOW); sent to the alert topic only`;
}

interface Record_ {
  windowEnds: number;
  rank: number;
  repeats: number;
  firstSeen: string;
}

type Written = { Attributes?: Record<string, AttributeValue> };

const str = (value: string): AttributeValue => ({ S: value });
const num = (value: number): AttributeValue => ({ N: String(value) });

function readRecord(item: Record<string, AttributeValue> | undefined): Record_ | undefined {
  if (!item) return undefined;
  const n = (name: string) => Number(item[name]?.N ?? Number.NaN);
  const record = {
    windowEnds: n("windowEnds"),
    rank: n("rank"),
    repeats: n("repeats"),
    firstSeen: item.firstSeen?.S ?? "",
  };
  return Number.isFinite(record.windowEnds) ? record : undefined;
}

function isConditionFailure(error: unknown): error is { Item?: Record<string, AttributeValue> } {
  return (error as { name?: unknown })?.name === "ConditionalCheckFailedException";
}

type Verdict =
  | { kind: "claim"; token: string; previous?: Record_ }
  | { kind: "breakthrough"; token: string }
  | { kind: "repeat" }
  | { kind: "unjudged" };

interface Group {
  key: string;
  signal: Signal;
  members: Signal[];
  executions: number;
}

/** The shared ledger of one function: build once per container, then take a {@link gate} per invocation. */
export class SignalLedger {
  readonly #client: DynamoDBClient;
  readonly #options: Required<Omit<LedgerOptions, "pagerMinSeverity">> & { pagerMinSeverity?: Severity };
  /** Windows this container saw, per group: a repeat then costs one UpdateItem. Bounded. */
  readonly #known = new Map<string, { windowEnds: number; rank: number }>();
  /** DynamoDB requests made, for the benchmark. */
  requests = 0;

  constructor(client: DynamoDBClient, options: LedgerOptions) {
    if (!Number.isSafeInteger(options.windowSeconds) || options.windowSeconds < 1)
      throw new RangeError(`windowSeconds must be a whole number >= 1: ${options.windowSeconds}`);
    if (!Number.isSafeInteger(options.pagerMaxPerWindow) || options.pagerMaxPerWindow < 1)
      throw new RangeError(`pagerMaxPerWindow must be a whole number >= 1: ${options.pagerMaxPerWindow}`);
    this.#client = client;
    this.#options = { clock: () => Date.now(), ...options };
  }

  /** A gate for one invocation, reporting through `telemetry`. */
  gate(telemetry: Telemetry): LedgerGate {
    let failed = false;
    const fail = (error: unknown, counts: Admission["counts"], action: string) => {
      counts.errors++;
      telemetry.count(METRIC.ledgerErrors, 1);
      if (failed) return;
      failed = true;
      telemetry.error("signal ledger unavailable; publishing without it for the rest of this invocation", {
        table: this.#options.table,
        action,
        error: `${(error as Error)?.name ?? "Error"}: ${(error as Error)?.message ?? String(error)}`,
      });
    };
    return {
      admit: async (signals) => {
        const counts = { claims: 0, repeats: 0, breakthroughs: 0, errors: 0, pagesCapped: 0 };
        const admission: Admission = { publish: [], claims: [], counts };
        const groups = new Map<string, Group>();
        for (const signal of signals) {
          const key = groupKey(signal);
          const group = groups.get(key);
          if (!group) groups.set(key, { key, signal, members: [signal], executions: signal.count });
          else {
            group.members.push(signal);
            group.executions += signal.count;
            if (severityRank(signal.severity) > severityRank(group.signal.severity)) group.signal = signal;
          }
        }
        const judged = await mapBounded([...groups.values()], CONCURRENCY, async (group) => {
          if (failed) return { group, verdict: { kind: "unjudged" } as Verdict };
          try {
            return { group, verdict: await this.#judge(group) };
          } catch (error) {
            fail(error, counts, "claim");
            return { group, verdict: { kind: "unjudged" } as Verdict };
          }
        });
        const outgoing: { signal: Signal; claim?: Claim }[] = [];
        for (const { group, verdict } of judged) {
          if (verdict.kind === "repeat") {
            counts.repeats += group.members.length;
            continue;
          }
          if (verdict.kind === "unjudged") {
            // Without the ledger's word, behave as without a ledger: every signal goes out.
            for (const signal of group.members) outgoing.push({ signal });
            continue;
          }
          counts.repeats += group.members.length - 1;
          if (verdict.kind === "claim") counts.claims++;
          else counts.breakthroughs++;
          const previous = verdict.kind === "claim" ? verdict.previous : undefined;
          let signal = group.signal;
          if (previous && previous.repeats > 0) {
            signal = {
              ...signal,
              reasons: [...signal.reasons, repeatNote(previous.repeats, previous.firstSeen)],
              ledger: { group: group.key, repeats: previous.repeats, since: previous.firstSeen },
            };
          }
          outgoing.push({ signal, claim: { signalId: signal.id, key: group.key, token: verdict.token } });
        }
        await mapBounded(outgoing, CONCURRENCY, async (entry) => {
          const budget = this.#options.pagerMinSeverity;
          if (budget === undefined || !atLeast(entry.signal.severity, budget) || failed) return;
          try {
            const page = await this.#takePage(entry.signal);
            if (page === "capped") {
              counts.pagesCapped++;
              entry.signal = {
                ...entry.signal,
                reasons: [...entry.signal.reasons, cappedNote(this.#options.pagerMaxPerWindow)],
                ledger: { ...(entry.signal.ledger ?? { group: groupKey(entry.signal) }), pagingCapped: true },
              };
            } else if (entry.claim) entry.claim.page = page;
          } catch (error) {
            fail(error, counts, "page budget");
          }
        });
        for (const entry of outgoing) {
          admission.publish.push(entry.signal);
          if (entry.claim) admission.claims.push(entry.claim);
        }
        telemetry.count(METRIC.ledgerClaims, counts.claims + counts.breakthroughs);
        telemetry.count(METRIC.ledgerRepeats, counts.repeats);
        telemetry.count(METRIC.pagesCapped, counts.pagesCapped);
        return admission;
      },
      release: async (admission, error) => {
        if (!admission || admission.claims.length === 0) return;
        const ids =
          error instanceof PublishError && error.signalIds.length > 0 ? new Set(error.signalIds) : null;
        const claims = admission.claims.filter((claim) => ids === null || ids.has(claim.signalId));
        await mapBounded(claims, CONCURRENCY, async (claim) => {
          try {
            await this.#release(claim);
          } catch (releaseError) {
            fail(releaseError, admission.counts, "release");
          }
        });
      },
    };
  }

  async #send(command: PutItemCommand | UpdateItemCommand | DeleteItemCommand): Promise<Written> {
    this.requests++;
    // The SDK's send is overloaded per command type; all three answer with optional Attributes.
    const send = this.#client.send as (c: typeof command) => Promise<Written>;
    return await send.call(this.#client, command);
  }

  #remember(key: string, windowEnds: number, rank: number): void {
    this.#known.delete(key);
    this.#known.set(key, { windowEnds, rank });
    if (this.#known.size > 10_000) this.#known.delete(this.#known.keys().next().value as string);
  }

  async #judge(group: Group): Promise<Verdict> {
    const { key, signal } = group;
    const nowMs = this.#options.clock(signal);
    const now = Math.floor(nowMs / 1000);
    const rank = severityRank(signal.severity);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const known = this.#known.get(key);
      if (known && known.windowEnds > now && known.rank >= rank) {
        try {
          await this.#send(
            new UpdateItemCommand({
              TableName: this.#options.table,
              Key: { [LEDGER_KEY_ATTRIBUTE]: str(key) },
              UpdateExpression: "ADD repeats :n SET lastSeen = :seen",
              ConditionExpression: "windowEnds > :now AND #rank >= :rank",
              ExpressionAttributeNames: { "#rank": "rank" },
              ExpressionAttributeValues: {
                ":n": num(group.executions),
                ":seen": str(new Date(nowMs).toISOString()),
                ":now": num(now),
                ":rank": num(rank),
              },
            }),
          );
          return { kind: "repeat" };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          this.#known.delete(key);
          continue;
        }
      }
      const token = randomUUID();
      const windowEnds = now + this.#options.windowSeconds;
      try {
        const out = await this.#send(
          new PutItemCommand({
            TableName: this.#options.table,
            Item: {
              [LEDGER_KEY_ATTRIBUTE]: str(key),
              severity: str(signal.severity),
              rank: num(rank),
              firstSeen: str(new Date(nowMs).toISOString()),
              repeats: num(group.executions - signal.count),
              windowEnds: num(windowEnds),
              [LEDGER_TTL_ATTRIBUTE]: num(windowEnds + RETENTION_SECONDS),
              token: str(token),
              signalId: str(signal.id),
            },
            ConditionExpression: `attribute_not_exists(${LEDGER_KEY_ATTRIBUTE}) OR windowEnds <= :now`,
            ExpressionAttributeValues: { ":now": num(now) },
            ReturnValues: "ALL_OLD",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        this.#remember(key, windowEnds, rank);
        const previous = readRecord(out.Attributes);
        return previous ? { kind: "claim", token, previous } : { kind: "claim", token };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = readRecord(error.Item);
        if (!current) continue;
        this.#remember(key, current.windowEnds, current.rank);
        if (current.rank >= rank) continue;
        try {
          await this.#send(
            new UpdateItemCommand({
              TableName: this.#options.table,
              Key: { [LEDGER_KEY_ATTRIBUTE]: str(key) },
              UpdateExpression: "SET severity = :severity, #rank = :rank, #token = :token, signalId = :id",
              ConditionExpression: "windowEnds = :end AND #rank < :rank",
              ExpressionAttributeNames: { "#rank": "rank", "#token": "token" },
              ExpressionAttributeValues: {
                ":severity": str(signal.severity),
                ":rank": num(rank),
                ":token": str(token),
                ":id": str(signal.id),
                ":end": num(current.windowEnds),
              },
            }),
          );
          this.#remember(key, current.windowEnds, rank);
          return { kind: "breakthrough", token };
        } catch (raceError) {
          if (!isConditionFailure(raceError)) throw raceError;
        }
      }
    }
    // Other instances kept changing the item: better a duplicate than a silence.
    return { kind: "unjudged" };
  }

  /** One pager slot of the signal's workload in the current window, or "capped". */
  async #takePage(signal: Signal): Promise<{ key: string; windowEnds: number } | "capped"> {
    const key = `pages|${workloadKey(signal)}`;
    const now = Math.floor(this.#options.clock(signal) / 1000);
    const windowEnds = now + this.#options.windowSeconds;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        const out = await this.#send(
          new UpdateItemCommand({
            TableName: this.#options.table,
            Key: { [LEDGER_KEY_ATTRIBUTE]: str(key) },
            UpdateExpression:
              "ADD pages :one SET windowEnds = if_not_exists(windowEnds, :end), #ttl = if_not_exists(#ttl, :ttl)",
            ConditionExpression: `attribute_not_exists(${LEDGER_KEY_ATTRIBUTE}) OR (windowEnds > :now AND pages < :max)`,
            ExpressionAttributeNames: { "#ttl": LEDGER_TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ":one": num(1),
              ":end": num(windowEnds),
              ":ttl": num(windowEnds + RETENTION_SECONDS),
              ":now": num(now),
              ":max": num(this.#options.pagerMaxPerWindow),
            },
            ReturnValues: "ALL_NEW",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return { key, windowEnds: Number(out.Attributes?.windowEnds?.N ?? windowEnds) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = readRecord(error.Item);
        if (!current) continue;
        if (current.windowEnds > now) return "capped";
        try {
          // The workload's window is over: start the next one with this page.
          await this.#send(
            new PutItemCommand({
              TableName: this.#options.table,
              Item: {
                [LEDGER_KEY_ATTRIBUTE]: str(key),
                pages: num(1),
                windowEnds: num(windowEnds),
                [LEDGER_TTL_ATTRIBUTE]: num(windowEnds + RETENTION_SECONDS),
              },
              ConditionExpression: "windowEnds = :old",
              ExpressionAttributeValues: { ":old": num(current.windowEnds) },
            }),
          );
          return { key, windowEnds };
        } catch (raceError) {
          if (!isConditionFailure(raceError)) throw raceError;
        }
      }
    }
    return { key, windowEnds };
  }

  async #release(claim: Claim): Promise<void> {
    this.#known.delete(claim.key);
    try {
      await this.#send(
        new DeleteItemCommand({
          TableName: this.#options.table,
          Key: { [LEDGER_KEY_ATTRIBUTE]: str(claim.key) },
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#token": "token" },
          ExpressionAttributeValues: { ":token": str(claim.token) },
        }),
      );
    } catch (error) {
      // Someone else holds the group now (a later window, a breakthrough): theirs to keep.
      if (!isConditionFailure(error)) throw error;
    }
    if (!claim.page) return;
    try {
      await this.#send(
        new UpdateItemCommand({
          TableName: this.#options.table,
          Key: { [LEDGER_KEY_ATTRIBUTE]: str(claim.page.key) },
          UpdateExpression: "ADD pages :minus",
          ConditionExpression: "windowEnds = :end AND pages > :zero",
          ExpressionAttributeValues: {
            ":minus": num(-1),
            ":end": num(claim.page.windowEnds),
            ":zero": num(0),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/** The ledger the configuration asks for (LEDGER_TABLE), or undefined. */
export function ledgerFor(
  config: Readonly<Config>,
  client: () => DynamoDBClient,
  clock?: LedgerOptions["clock"],
): SignalLedger | undefined {
  if (!config.ledgerTable) return undefined;
  return new SignalLedger(client(), {
    table: config.ledgerTable,
    windowSeconds: config.dedupWindowSeconds,
    pagerMaxPerWindow: config.pagerMaxPerWindow,
    ...(config.pagerTopicArn ? { pagerMinSeverity: config.pagerMinSeverity } : {}),
    ...(clock ? { clock } : {}),
  });
}
