import { SNSClient } from "@aws-sdk/client-sns";

/**
 * The one way this project builds an SNS client (handler, invoke, hunt). `requestTimeout` alone
 * only warns in this SDK version; `throwOnRequestTimeout` makes a stuck request fail so the retry
 * rounds of publishSignals can take over. Worst case with a dead endpoint: about
 * (1 + 3 rounds) × 3 attempts × 3 s ≈ 36 s — the deployments give the function 60 s.
 * Region, credentials and AWS_ENDPOINT_URL come from the environment.
 */
export function createSnsClient(): SNSClient {
  return new SNSClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
}
