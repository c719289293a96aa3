import {
  AuthorizationErrorException,
  InternalErrorException,
  KMSThrottlingException,
  ThrottledException,
} from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  errorCode,
  inRounds,
  isRetryable,
  isThrottling,
  mapBounded,
  sleep,
} from "../../src/aws/retry.js";

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe("isRetryable", () => {
  it.each<[string, unknown]>([
    ["SNS throttling (429)", new ThrottledException({ message: "Rate exceeded", ...meta(429) })],
    [
      "SNS KMS throttling (a 400 the SDK takes as final)",
      new KMSThrottlingException({ message: "slow", ...meta(400) }),
    ],
    ["a 500", new InternalErrorException({ message: "Internal error", ...meta(500) })],
    ["a 501 server error", Object.assign(new Error("x"), { name: "NotImplemented", ...meta(501) })],
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })],
    ["an unreachable network", Object.assign(new Error("x"), { code: "ENETUNREACH" })],
    ["a timeout", Object.assign(new Error("socket timed out"), { name: "TimeoutError" })],
    ["the retryable trait", Object.assign(new Error("x"), { name: "Whatever", $retryable: {} })],
    [
      "a throttling cause",
      new Error("wrapped", { cause: Object.assign(new Error("x"), { name: "Throttling" }) }),
    ],
  ])("retries %s", (_, error) => {
    expect(isRetryable(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ["an authorization error", new AuthorizationErrorException({ message: "no", ...meta(403) })],
    ["an abort", Object.assign(new Error("aborted"), { name: "AbortError" })],
    ["a plain error", new Error("Region is missing")],
    ["a string", "boom"],
    ["null", null],
  ])("does not retry %s", (_, error) => {
    expect(isRetryable(error)).toBe(false);
  });
});

describe("isThrottling", () => {
  it.each([
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "LimitExceededException",
    "RequestLimitExceeded",
    "ServiceUnavailableException",
  ])("counts CloudWatch Logs' %s as throttling", (name) => {
    expect(isThrottling(Object.assign(new Error("x"), { name }))).toBe(true);
  });

  it("counts the throttling trait and 429, not other server errors", () => {
    expect(isThrottling(Object.assign(new Error("x"), { $retryable: { throttling: true } }))).toBe(true);
    expect(isThrottling(Object.assign(new Error("x"), meta(429)))).toBe(true);
    expect(
      isThrottling(Object.assign(new Error("x"), { name: "InternalServerException", ...meta(500) })),
    ).toBe(false);
  });
});

describe("errorCode", () => {
  it("prefers Code, then code, then a name other than Error", () => {
    expect(errorCode(Object.assign(new Error("x"), { Code: "A", code: "B" }))).toBe("A");
    expect(errorCode(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe("ECONNRESET");
    expect(errorCode(new Error("x"))).toBeUndefined();
    expect(errorCode("x")).toBeUndefined();
  });
});

describe("backoffDelay", () => {
  it("doubles per attempt, caps, and jitters in the upper half", () => {
    const backoff = { baseDelayMs: 100, maxDelayMs: 5_000 };
    expect(backoffDelay(0, backoff, () => 0)).toBe(50);
    expect(backoffDelay(2, backoff, () => 1)).toBe(400);
    expect(backoffDelay(20, backoff, () => 0)).toBe(2_500);
  });
});

describe("sleep", () => {
  it("ends early when its signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("mapBounded", () => {
  it("keeps the order and never runs more than the limit at once", async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await sleep(n);
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });
});

describe("inRounds", () => {
  const noWait = { baseDelayMs: 0, maxDelayMs: 0 };

  it("sends again what is worth it until delivered, and keeps what failed for good", async () => {
    const tries = new Map<string, number>();
    const retried: string[][] = [];
    const result = await inRounds(
      ["a", "b", "bad"],
      { maxRounds: 3, backoff: noWait, onRetry: (_round, pending) => retried.push([...pending]) },
      async (pending) =>
        pending.map((item) => {
          const n = (tries.get(item) ?? 0) + 1;
          tries.set(item, n);
          if (item === "bad") return { delivered: [], retry: [], failed: [item], sent: true, error: "no" };
          return n < (item === "a" ? 1 : 3)
            ? { delivered: [], retry: [item], failed: [], sent: true, error: "later" }
            : { delivered: [item], retry: [], failed: [], sent: true };
        }),
    );

    expect(result).toMatchObject({ delivered: ["a", "b"], failed: ["bad"], pending: [], requests: 5 });
    expect(retried).toEqual([["b"], ["b"]]);
    expect(result.lastError).toBe("later");
  });

  it("leaves pending what the rounds did not deliver, and stops before a round past the deadline", async () => {
    const always = async (pending: string[]) => [{ delivered: [], retry: pending, failed: [], sent: true }];

    expect(await inRounds(["x"], { maxRounds: 2, backoff: noWait }, always)).toMatchObject({
      pending: ["x"],
      requests: 3,
      stoppedAtDeadline: false,
    });
    const late = await inRounds(
      ["x"],
      { maxRounds: 2, backoff: { baseDelayMs: 60_000, maxDelayMs: 60_000 }, deadlineMs: Date.now() + 1_000 },
      always,
    );
    expect(late).toMatchObject({ pending: ["x"], requests: 1, stoppedAtDeadline: true });
  });
});
