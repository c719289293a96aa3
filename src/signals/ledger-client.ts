import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

/**
 * The one way this project builds the ledger's DynamoDB client (handler, invoke, hunt). Short
 * timeouts: the ledger fails open, so a slow DynamoDB must cost the invocation little before the
 * signal is published without it. Region, credentials and AWS_ENDPOINT_URL come from the environment.
 */
export function createLedgerClient(): DynamoDBClient {
  return new DynamoDBClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
  });
}
