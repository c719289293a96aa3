/**
 * A PublishBatch channel to one SNS topic, for the sinks that send their own messages there (chat
 * cards, email): at most 10 entries and 256 KB per request, each entry's fate read from Successful /
 * Failed (a sender fault is final, anything missing from both is retried).
 */
import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from "@aws-sdk/client-sns";
import type { Channel } from "./deliver.js";

export function snsBatchChannel(
  client: SNSClient,
  topicArn: string,
  build: Channel<PublishBatchRequestEntry>["build"],
): Channel<PublishBatchRequestEntry> {
  return {
    name: `SNS topic ${topicArn}`,
    maxEntries: 10,
    maxBytes: 256 * 1024 - 2_048,
    build,
    async send(entries, abortSignal) {
      const response = await client.send(
        new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }),
        abortSignal ? { abortSignal } : {},
      );
      const ok = new Set((response.Successful ?? []).map((e) => e.Id));
      const failed = new Map((response.Failed ?? []).map((e) => [e.Id, e]));
      return entries.map((entry) => {
        if (ok.has(entry.Id)) return { ok: true as const };
        const failure = failed.get(entry.Id);
        return {
          ok: false as const,
          code: failure?.Code ?? "MissingFromResponse",
          message: failure?.Message ?? "",
          final: failure?.SenderFault === true,
        };
      });
    },
  };
}
