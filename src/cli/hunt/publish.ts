/**
 * `hunt --publish`: the signals of each page go through the same sinks (and, with LEDGER_TABLE, the
 * same signal ledger) as the Lambda's.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { Config } from "../../config.js";
import type { Signal } from "../../model.js";
import { silentTelemetry } from "../../telemetry.js";
import type { CliIO } from "../io.js";
import { notice } from "../progress.js";

/** Publishes one page's signals; returns how many were published. Throws PublishError. */
export async function makePublisher(
  config: Readonly<Config>,
  deps: { sns?: SNSClient; dynamodb?: DynamoDBClient },
  io: CliIO,
): Promise<(signals: Signal[]) => Promise<number>> {
  // Loaded only with --publish, so a read-only hunt never loads the SDK clients of the sinks.
  const { createSinks } = await import("../../sinks/index.js");
  const { RecentIds } = await import("../../signals/recent-ids.js");
  const recent = new RecentIds({ ttlMs: config.dedupTtlSeconds * 1000 });
  const sinks = createSinks(config, { recent, ...(deps.sns ? { clients: { sns: deps.sns } } : {}) });
  // With LEDGER_TABLE, a replay honours what was already sent: each signal is judged at its own
  // time (never later than now), so a group alerted within its window is counted, not re-paged.
  const { ledgerFor } = await import("../../signals/ledger.js");
  const { createLedgerClient } = await import("../../signals/ledger-client.js");
  const ledger = ledgerFor(
    config,
    () => deps.dynamodb ?? createLedgerClient(),
    (signal) => Math.min(Date.parse(signal.lastSeen) || Date.now(), Date.now()),
  );
  const telemetry = { ...silentTelemetry, error: (message: string) => notice(io, `warning: ${message}`) };
  return async (signals) => {
    const gate = ledger?.gate(telemetry);
    const admission = await gate?.admit(signals);
    try {
      return (await sinks(admission?.publish ?? signals)).published;
    } catch (error) {
      await gate?.release(admission, error);
      throw error;
    }
  };
}
