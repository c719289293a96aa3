import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  type LogGroup,
} from "@aws-sdk/client-cloudwatch-logs";

/**
 * FilterLogEvents may search for several seconds before it answers a page, hence a request
 * timeout well above the SNS client's. Worst case per request with a dead endpoint: about
 * 3 attempts × 10 s plus backoff — long, but it ends, and Ctrl-C ends it at once.
 */
export const LOGS_CLIENT_LIMITS = Object.freeze({
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 10_000,
  maxAttempts: 3,
});

/**
 * The one way the CLI builds a CloudWatch Logs client (hunt, coverage). `requestTimeout` alone
 * only warns in this SDK version; `throwOnRequestTimeout` makes a stuck request fail so the SDK
 * retries it and then gives up. Credentials and AWS_ENDPOINT_URL come from the environment;
 * `requestTimeoutMs` is for tests.
 */
export function createLogsClient(
  options: { region?: string; requestTimeoutMs?: number } = {},
): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: LOGS_CLIENT_LIMITS.maxAttempts,
    requestHandler: {
      connectionTimeout: LOGS_CLIENT_LIMITS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? LOGS_CLIENT_LIMITS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

/**
 * DescribeLogGroups for a name prefix, one page of groups at a time (sorted by name); stopping the
 * iteration stops the paging.
 */
export async function* logGroupPages(
  logs: CloudWatchLogsClient,
  prefix: string,
  signal: AbortSignal,
): AsyncGenerator<LogGroup[]> {
  let nextToken: string | undefined;
  do {
    const page = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken, limit: 50 }),
      { abortSignal: signal },
    );
    yield page.logGroups ?? [];
    nextToken = page.nextToken;
  } while (nextToken);
}
