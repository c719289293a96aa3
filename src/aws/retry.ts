/**
 * How this code insists with AWS, on top of the SDK's own attempts: which errors are worth another
 * try (the SDK's classification, not a list of our own), how long to wait before it, how many
 * requests run at once, and how a caller's deadline cuts a request short. Shared by the sinks, the
 * signal ledger and the CLI's CloudWatch Logs commands. Imports nothing of this project.
 */
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  cause?: unknown;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

/**
 * Answers our services give under load that the SDK files elsewhere: SNS's KMSThrottlingException
 * is a 400 the SDK takes as final, and CloudWatch Logs' ServiceUnavailableException a server error
 * the SDK does not call throttling. Both pass when waited out.
 */
const THROTTLING_BEYOND_THE_SDK = new Set(["KMSThrottlingException", "ServiceUnavailableException"]);

/** Causes followed when classifying an error wrapped in another. */
const MAX_CAUSE_DEPTH = 5;

function isErrorLike(error: unknown): error is ErrorLike {
  return typeof error === "object" && error !== null;
}

/** The error's code as AWS names it (SDK `name`, or a Node.js `code` for network errors). */
export function errorCode(error: unknown): string | undefined {
  if (!isErrorLike(error)) return undefined;
  for (const candidate of [error.Code, error.code, error.name]) {
    if (typeof candidate === "string" && candidate !== "" && candidate !== "Error") return candidate;
  }
  return undefined;
}

/**
 * The service asks us to slow down: HTTP 429, a throttling code or the throttling trait, as the SDK's
 * own retry strategy judges it (`isThrottlingError`), plus {@link THROTTLING_BEYOND_THE_SDK}.
 */
export function isThrottling(error: unknown): boolean {
  if (!isErrorLike(error)) return false;
  if (typeof error.name === "string" && THROTTLING_BEYOND_THE_SDK.has(error.name)) return true;
  return isThrottlingError(error as Parameters<typeof isThrottlingError>[0]);
}

/**
 * Worth another round: throttling, a transient failure (timeout, reset or refused connection, 500,
 * 502, 503, 504, the retryable trait) or another server error, as the SDK classifies them; the same
 * for an error's cause. An abort is final: someone chose to stop.
 */
export function isRetryable(error: unknown, depth = 0): boolean {
  if (!isErrorLike(error) || depth > MAX_CAUSE_DEPTH) return false;
  if (error.name === "AbortError") return false;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  if (isThrottling(error) || isTransientError(sdkError) || isServerError(sdkError)) return true;
  return isRetryable(error.cause, depth + 1);
}

/** Exponential backoff bounds. */
export interface Backoff {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before retry `attempt` (0-based): `baseDelayMs * 2^attempt`, capped at `maxDelayMs`, with
 * jitter in its upper half so that callers failing together do not come back together.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Waits `ms`; an abort of `signal` ends the wait early (it resolves, the caller checks `aborted`). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** `fn` over `items` with at most `limit` calls in flight; results in the order of `items`. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Why a request was abandoned: the caller's deadline came first. */
export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/**
 * Runs `send` with an abort signal that fires at `deadlineMs`, and stops waiting for it then even
 * if the request handler ignores the signal.
 */
export async function beforeDeadline<T>(
  deadlineMs: number | undefined,
  send: (abortSignal?: AbortSignal) => Promise<T>,
): Promise<T> {
  if (deadlineMs === undefined) return send();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const error = new DeadlineExceeded("no answer before the deadline");
        controller.abort(error);
        reject(error);
      },
      Math.max(0, deadlineMs - Date.now()),
    );
  });
  try {
    return await Promise.race([send(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** What one request did with its entries: each entry lands in exactly one list. */
export interface RequestOutcome<T> {
  delivered: T[];
  /** Worth sending again in a later round. */
  retry: T[];
  /** Never worth sending again. */
  failed: T[];
  error?: unknown;
  /** False when the request was never made (the deadline had passed). */
  sent: boolean;
}

export interface RoundsOptions<T> {
  /** Rounds after the first. */
  maxRounds: number;
  backoff: Backoff;
  /** No round starts whose backoff would end at or after it. */
  deadlineMs?: number;
  /** Called before each retry round with what it sends again. */
  onRetry?: (round: number, pending: readonly T[]) => void;
}

export interface RoundsResult<T> {
  delivered: T[];
  /** Failed for good, in the order the rounds met them. */
  failed: T[];
  /** Still undelivered when the rounds ran out or the deadline came. */
  pending: T[];
  /** Requests made (entries not sent for the deadline are no request). */
  requests: number;
  /** The last error any request met. */
  lastError?: unknown;
  stoppedAtDeadline: boolean;
}

/**
 * Sends `entries` with `send` (one call per round, which answers one outcome per request it made),
 * then again what is worth retrying, after a jittered backoff, until nothing is pending, the rounds
 * run out, or the next round would end after the deadline. The no-loss loop of every sink.
 */
export async function inRounds<T>(
  entries: readonly T[],
  options: RoundsOptions<T>,
  send: (pending: T[]) => Promise<RequestOutcome<T>[]>,
): Promise<RoundsResult<T>> {
  const result: RoundsResult<T> = {
    delivered: [],
    failed: [],
    pending: [...entries],
    requests: 0,
    stoppedAtDeadline: false,
  };
  const { maxRounds, backoff, deadlineMs, onRetry } = options;
  for (let round = 0; result.pending.length > 0 && round <= maxRounds; round++) {
    if (round > 0) {
      const delay = backoffDelay(round - 1, backoff);
      if (deadlineMs !== undefined && Date.now() + delay >= deadlineMs) {
        result.stoppedAtDeadline = true;
        break;
      }
      onRetry?.(round, result.pending);
      await sleep(delay);
    }
    const outcomes = await send(result.pending);
    result.pending = [];
    for (const outcome of outcomes) {
      if (outcome.sent) result.requests++;
      result.delivered.push(...outcome.delivered);
      result.pending.push(...outcome.retry);
      result.failed.push(...outcome.failed);
      if (outcome.error !== undefined) result.lastError = outcome.error;
    }
  }
  return result;
}
