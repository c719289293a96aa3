/**
 * What each sink would send for a signal, without AWS: the same pure builders the senders use.
 * `demo --sink` prints these so a user sees exactly what their tool will receive.
 */
import type { Signal } from "../model.js";
import { buildChatNotification } from "./chat.js";
import { buildEventEntry } from "./eventbridge.js";
import { buildFinding, mergeByFindingId } from "./security-hub.js";

export const PAYLOAD_SINKS = ["chat", "securityhub", "eventbridge"] as const;
export type PayloadSink = (typeof PAYLOAD_SINKS)[number];

export interface PayloadContext {
  region: string;
  /** The account of the Security Hub product when the signal's own owner is not an account id. */
  account: string;
  busName: string;
  /** UpdatedAt of the findings, ISO-8601. */
  now: string;
}

export function isPayloadSink(name: string): name is PayloadSink {
  return (PAYLOAD_SINKS as readonly string[]).includes(name);
}

/** The payloads `sink` would deliver for `signals`, in order (Security Hub: one per finding Id). Pure. */
export function sinkPayloads(sink: PayloadSink, signals: readonly Signal[], ctx: PayloadContext): unknown[] {
  switch (sink) {
    case "chat":
      return signals.map((signal) => buildChatNotification(signal, ctx.region));
    case "eventbridge":
      return signals.map((signal) => buildEventEntry(signal, { busName: ctx.busName, region: ctx.region }));
    case "securityhub":
      return mergeByFindingId(signals).map((signal) => buildFinding(signal, ctx));
  }
}
