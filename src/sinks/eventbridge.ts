/**
 * The EventBridge sink (EVENT_BUS_NAME): one PutEvents entry per signal, `source`
 * "netutil-detector", `detail-type` "Network utility executed in container", `detail` the signal
 * JSON (what SNS machine subscribers get) with its `groupKey` in front, `resources` the ECS task and
 * cluster ARNs or the EKS cluster ARN when the evidence names them. Rules on the bus route it on
 * (PagerDuty, Opsgenie, a SIEM) without code here.
 *
 * Limits, from "Calculating Amazon EventBridge PutEvents event entry size": an entry counts Time as
 * 14 bytes plus the UTF-8 bytes of Source, DetailType, Detail and each Resources entry, and the
 * entries of one request must total less than 256 KB; at most 10 entries a request. Entries the
 * answer lists with an ErrorCode are retried unless the code says the entry itself is bad.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import type { Signal } from "../model.js";
import { lastSegment } from "../signals/build.js";
import { renderJson } from "../signals/render.js";
import { type Channel, type DeliverOptions, deliver, isRetryableEntryCode } from "./deliver.js";
import { findingId } from "./finding-id.js";

export const EVENT_SOURCE = "netutil-detector";
export const EVENT_DETAIL_TYPE = "Network utility executed in container";
/** PutEvents: 256 KB per request (entries summed), 10 entries. */
export const PUT_EVENTS_MAX_BYTES = 262_144;
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** Room kept under the limit for what our arithmetic may miss. */
const MARGIN_BYTES = 1_024;
const TIME_BYTES = 14;

export interface EventContext {
  busName: string;
  /** Region of ARNs built from names (EKS cluster); the function's own region. */
  region?: string;
}

const ARN = /^arn:aws[a-z-]*:/;
const bytesOf = (text: string) => Buffer.byteLength(text, "utf8");

/** ARNs of the ECS task and cluster, or of the EKS cluster, when known. */
export function resourceArns(signal: Signal, region: string | undefined): string[] {
  const { workload, source } = signal;
  const out: string[] = [];
  if (workload.platform === "ecs") {
    const task = workload.task;
    if (task && ARN.test(task)) out.push(task);
    if (workload.cluster && ARN.test(workload.cluster)) out.push(workload.cluster);
    else if (task && workload.cluster) {
      // arn:aws:ecs:<region>:<account>:task/<cluster>/<id> names the cluster's ARN too.
      const m = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}):task\//.exec(task);
      if (m) out.push(`${m[1]}:cluster/${lastSegment(workload.cluster)}`);
    }
  } else if (workload.platform === "eks" && workload.cluster) {
    if (ARN.test(workload.cluster)) out.push(workload.cluster);
    else if (
      region &&
      /^\d{12}$/.test(source.owner) &&
      /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(workload.cluster)
    )
      out.push(`arn:aws:eks:${region}:${source.owner}:cluster/${workload.cluster}`);
  }
  return [...new Set(out)];
}

/** The PutEvents entry for one signal, within the entry size limit. Pure. */
export function buildEventEntry(signal: Signal, ctx: EventContext): PutEventsRequestEntry {
  const resources = resourceArns(signal, ctx.region);
  const head = `{"groupKey":${JSON.stringify(findingId(signal))},`;
  const fixed =
    TIME_BYTES +
    bytesOf(EVENT_SOURCE) +
    bytesOf(EVENT_DETAIL_TYPE) +
    resources.reduce((sum, r) => sum + bytesOf(r), 0) +
    bytesOf(head);
  const json = renderJson(signal, PUT_EVENTS_MAX_BYTES - MARGIN_BYTES - fixed);
  return {
    EventBusName: ctx.busName,
    Source: EVENT_SOURCE,
    DetailType: EVENT_DETAIL_TYPE,
    Detail: head + json.slice(1),
    Resources: resources,
    Time: new Date(signal.timestamp),
  };
}

/** What EventBridge counts for one entry. */
export function entryBytes(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time ? TIME_BYTES : 0) +
    bytesOf(entry.Source ?? "") +
    bytesOf(entry.DetailType ?? "") +
    bytesOf(entry.Detail ?? "") +
    (entry.Resources ?? []).reduce((sum, r) => sum + bytesOf(r), 0)
  );
}

/** Sends every signal at or above the minimum to the bus; throws PublishError for any not confirmed. */
export async function putSignalEvents(
  client: EventBridgeClient,
  ctx: EventContext,
  signals: readonly Signal[],
  options: DeliverOptions,
) {
  const channel: Channel<PutEventsRequestEntry> = {
    name: `EventBridge bus ${ctx.busName}`,
    maxEntries: PUT_EVENTS_MAX_ENTRIES,
    maxBytes: PUT_EVENTS_MAX_BYTES - MARGIN_BYTES,
    build(signal) {
      const entry = buildEventEntry(signal, ctx);
      return { entry, bytes: entryBytes(entry) };
    },
    async send(entries, abortSignal) {
      const response = await client.send(
        new PutEventsCommand({ Entries: entries }),
        abortSignal ? { abortSignal } : {},
      );
      // The answer has one entry per request entry, in order: an EventId, or an ErrorCode.
      return entries.map((_, i) => {
        const result = response.Entries?.[i];
        if (result?.EventId && !result.ErrorCode) return { ok: true as const };
        const code = result?.ErrorCode ?? "MissingFromResponse";
        return {
          ok: false as const,
          code,
          message: result?.ErrorMessage ?? "",
          final: !isRetryableEntryCode(code) && code !== "MissingFromResponse",
        };
      });
    },
  };
  return deliver(channel, signals, options);
}
