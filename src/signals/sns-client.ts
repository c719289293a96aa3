import { SNSClient } from "@aws-sdk/client-sns";

/**
 * The one way this project builds an SNS client (handler, invoke, hunt). `requestTimeout` alone
 * only warns in this SDK version; `throwOnRequestTimeout` makes a stuck request fail so the retry
 * rounds of publishSignals can take over. One stuck request costs about 3 attempts × 3 s; with
 * many batches and retry rounds that is unbounded, so the handler passes publishSignals a
 * deadline 5 s before the function's own timeout (60 s in every deployment).
 * Region, credentials and AWS_ENDPOINT_URL come from the environment.
 */
export function createSnsClient(): SNSClient {
  return new SNSClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
}
