import { createServer, type Socket } from "node:net";
import {
  AuthorizationErrorException,
  InternalErrorException,
  PublishBatchCommand,
  type PublishBatchCommandInput,
  type PublishBatchCommandOutput,
  SNSClient,
  ThrottledException,
} from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PublishError } from "../../src/errors.js";
import type { Signal } from "../../src/model.js";
import { RecentIds } from "../../src/signals/recent-ids.js";
import { renderSnsMessage } from "../../src/signals/render.js";
import { PUBLISH_BATCH_MAX_BYTES, publishSignals, type Route } from "../../src/signals/sns.js";
import { makeSignal, mixedSignals } from "./signal-factory.js";

const ALERTS = "arn:aws:sns:us-east-1:123456789012:alerts";
const PAGER = "arn:aws:sns:us-east-1:123456789012:pager";
const ROUTES: Route[] = [
  { topicArn: ALERTS, minSeverity: "medium" },
  { topicArn: PAGER, minSeverity: "high" },
];
const FAST = { baseDelayMs: 1 };

type Entries = NonNullable<PublishBatchCommandInput["PublishBatchRequestEntries"]>;

/** SNS's answer when every entry of the request succeeds. */
function allSuccessful(input: PublishBatchCommandInput): Partial<PublishBatchCommandOutput> {
  return {
    Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
    Failed: [],
  };
}

/** The first entry of the request fails with `code`; the rest succeed. */
function firstFails(code: string, senderFault: boolean) {
  return (input: PublishBatchCommandInput): Partial<PublishBatchCommandOutput> => {
    const [first, ...rest] = input.PublishBatchRequestEntries ?? [];
    return {
      Successful: rest.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
      Failed: first ? [{ Id: first.Id, Code: code, SenderFault: senderFault, Message: "nope" }] : [],
    };
  };
}

function serverError(): InternalErrorException {
  return new InternalErrorException({ message: "Internal error", $metadata: { httpStatusCode: 500 } });
}

/** Signal ids of an entry list, read back from the `default` JSON body. */
function idsOf(entries: Entries): string[] {
  return entries.map((e) => {
    const structure = JSON.parse(e.Message ?? "") as { default: string };
    return (JSON.parse(structure.default) as Signal).id;
  });
}

describe("publishSignals", () => {
  const client = new SNSClient({ region: "us-east-1" });
  const sns = mockClient(client);
  const calls = () => sns.commandCalls(PublishBatchCommand).map((call) => call.args[0].input);

  beforeEach(() => {
    sns.reset();
    sns.on(PublishBatchCommand).callsFake(allSuccessful);
  });

  it("routes by severity and packs each topic into requests of at most 10 entries", async () => {
    const signals = mixedSignals(25);
    const alerts = signals.filter((s) => s.severity !== "low");
    const pages = signals.filter((s) => s.severity === "high" || s.severity === "critical");

    const report = await publishSignals(client, ROUTES, signals, FAST);

    const toAlerts = calls().filter((c) => c.TopicArn === ALERTS);
    const toPager = calls().filter((c) => c.TopicArn === PAGER);
    expect(toAlerts.flatMap((c) => idsOf(c.PublishBatchRequestEntries ?? [])).sort()).toEqual(
      alerts.map((s) => s.id).sort(),
    );
    expect(toPager.flatMap((c) => idsOf(c.PublishBatchRequestEntries ?? [])).sort()).toEqual(
      pages.map((s) => s.id).sort(),
    );
    expect(toAlerts).toHaveLength(Math.ceil(alerts.length / 10));
    expect(toPager).toHaveLength(Math.ceil(pages.length / 10));
    expect(report).toEqual({
      signals: 25,
      entries: alerts.length + pages.length,
      published: alerts.length + pages.length,
      deduplicated: 0,
      requests: toAlerts.length + toPager.length,
      retriedEntries: 0,
    });
  });

  it("sends valid entries: short unique ids, MessageStructure json, the rendered subject and message", async () => {
    const signals = mixedSignals(12);

    await publishSignals(client, ROUTES, signals, FAST);

    for (const { PublishBatchRequestEntries: entries = [] } of calls()) {
      expect(entries.length).toBeLessThanOrEqual(10);
      expect(new Set(entries.map((e) => e.Id)).size).toBe(entries.length);
      for (const entry of entries) {
        expect(entry.Id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        expect(entry.MessageStructure).toBe("json");
        const signal = signals.find((s) => s.id === idsOf([entry])[0])!;
        expect(entry).toMatchObject({
          Subject: renderSnsMessage(signal).subject,
          Message: renderSnsMessage(signal).message,
        });
      }
    }
  });

  it("keeps every request within 256 KiB of message and subject bytes", async () => {
    const big = (n: number) =>
      makeSignal(n, "high", {
        process: { name: "curl", path: "/usr/bin/curl", args: ["x".repeat(22_000), "y".repeat(22_000)] },
      });
    const signals = [big(1), ...mixedSignals(4, 10), big(2), big(3), ...mixedSignals(4, 20)];

    await publishSignals(client, [{ topicArn: ALERTS, minSeverity: "low" }], signals, FAST);

    const sizes = calls().map((c) =>
      (c.PublishBatchRequestEntries ?? []).reduce(
        (sum, e) => sum + Buffer.byteLength(e.Message ?? "") + Buffer.byteLength(e.Subject ?? ""),
        0,
      ),
    );
    expect(renderSnsMessage(big(1)).bytes).toBeGreaterThan(100_000);
    expect(calls().flatMap((c) => c.PublishBatchRequestEntries ?? [])).toHaveLength(signals.length);
    expect(sizes.every((bytes) => bytes <= PUBLISH_BATCH_MAX_BYTES)).toBe(true);
    expect(calls().length).toBeGreaterThanOrEqual(2);
  });

  it("retries Failed entries that are not the sender's fault, and only those", async () => {
    sns.on(PublishBatchCommand).callsFakeOnce(firstFails("InternalError", false)).callsFake(allSuccessful);
    const retries: unknown[] = [];
    const signals = mixedSignals(4).map((s) => ({ ...s, severity: "medium" as const }));

    const report = await publishSignals(client, ROUTES, signals, {
      ...FAST,
      onRetry: (info) => retries.push(info),
    });

    expect(calls().map((c) => c.PublishBatchRequestEntries?.length)).toEqual([4, 1]);
    expect(idsOf(calls()[1]?.PublishBatchRequestEntries ?? [])).toEqual([signals[0]?.id]);
    expect(retries).toEqual([{ round: 1, failed: 1, code: "InternalError" }]);
    expect(report).toMatchObject({ entries: 4, published: 4, requests: 2, retriedEntries: 1 });
  });

  it("does not retry a Failed entry that is the sender's fault and throws for it", async () => {
    sns.on(PublishBatchCommand).callsFake(firstFails("InvalidParameter", true));
    const recent = new RecentIds({ ttlMs: 60_000 });
    const signals = mixedSignals(3).map((s) => ({ ...s, severity: "medium" as const }));

    const error = await publishSignals(client, ROUTES, signals, { ...FAST, recent }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ undelivered: 1, signalIds: [signals[0]?.id] });
    expect((error as Error).message).toBe(
      `1 of 3 signals were not delivered to SNS: 1 to ${ALERTS} (InvalidParameter: nope)`,
    );
    expect(calls()).toHaveLength(1);
    expect([signals[1], signals[2]].every((s) => recent.has(`${ALERTS}|${s?.id}`))).toBe(true);
    expect(recent.has(`${ALERTS}|${signals[0]?.id}`)).toBe(false);
  });

  it("retries an entry that SNS answered neither way", async () => {
    sns
      .on(PublishBatchCommand)
      .callsFakeOnce((input: PublishBatchCommandInput) => ({
        Successful: (input.PublishBatchRequestEntries ?? [])
          .slice(1)
          .map((e) => ({ Id: e.Id, MessageId: "m" })),
        Failed: [],
      }))
      .callsFake(allSuccessful);

    const report = await publishSignals(
      client,
      ROUTES,
      [makeSignal(1, "medium"), makeSignal(2, "medium")],
      FAST,
    );

    expect(report).toMatchObject({ published: 2, requests: 2, retriedEntries: 1 });
  });

  it.each([
    ["a 5xx", serverError()],
    ["throttling", new ThrottledException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } })],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
    ],
    ["a timeout", Object.assign(new Error("socket timed out"), { name: "TimeoutError" })],
  ])("retries the whole batch after %s", async (_, failure) => {
    sns.on(PublishBatchCommand).rejectsOnce(failure).callsFake(allSuccessful);
    const signals = mixedSignals(10, 100);

    const report = await publishSignals(client, ROUTES, signals, FAST);

    expect(report.published).toBe(report.entries);
    expect(report.retriedEntries).toBeGreaterThan(0);
  });

  it("fails at once, without retrying, on an error that retrying cannot fix", async () => {
    const denied = new AuthorizationErrorException({
      message: "not authorized",
      $metadata: { httpStatusCode: 403 },
    });
    sns.on(PublishBatchCommand).rejects(denied);
    const signals = [makeSignal(1, "medium"), makeSignal(2, "critical")];

    const error = await publishSignals(client, ROUTES, signals, FAST).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ undelivered: 2, cause: denied });
    expect((error as Error).message).toBe(
      `2 of 2 signals were not delivered to SNS: 2 to ${ALERTS} (AuthorizationErrorException: not authorized); 1 to ${PAGER} (AuthorizationErrorException: not authorized)`,
    );
    expect(calls()).toHaveLength(2);
  });

  it.each([
    ["a missing region", new Error("Region is missing"), "UnknownError: Region is missing"],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), { code: "ECONNREFUSED" }),
      "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:4566",
    ],
    [
      "an aggregate of connection errors with no message of its own",
      Object.assign(
        new AggregateError(
          [Object.assign(new Error("connect ECONNREFUSED ::1:4566"), { code: "ECONNREFUSED" })],
          "",
        ),
        { code: "ECONNREFUSED" },
      ),
      "ECONNREFUSED: AggregateError: connect ECONNREFUSED ::1:4566",
    ],
    [
      "a throttled request",
      new ThrottledException({ message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }),
      "ThrottledException: Rate exceeded",
    ],
  ])("says why in the error message after %s", async (_, failure, why) => {
    sns.on(PublishBatchCommand).rejects(failure);

    const error = await publishSignals(client, [ROUTES[0]!], [makeSignal(1, "high")], {
      ...FAST,
      maxRounds: 1,
    }).catch((e: unknown) => e);

    expect((error as Error).message).toBe(
      `1 of 1 signals were not delivered to SNS: 1 to ${ALERTS} (${why})`,
    );
  });

  it("keeps the SDK's message in the error on one line, redacted and short", async () => {
    const failure = new Error(`bad\nrequest to https://bob:Hunter2Secret@sns.local/ ${"x".repeat(2000)}`);
    sns.on(PublishBatchCommand).rejects(failure);

    const error = await publishSignals(client, [ROUTES[0]!], [makeSignal(1, "high")], FAST).catch(
      (e: unknown) => e,
    );

    const message = (error as Error).message;
    expect(message).toMatch(/\(UnknownError: bad request to https:\/\/bob:\[REDACTED\]@sns\.local\/ x+…\)$/);
    expect(message).not.toMatch(/Hunter2Secret|\n/);
    expect(message.length).toBeLessThan(200 + 320);
  });

  it("names each distinct reason of a topic once", async () => {
    sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({
      Successful: [],
      Failed: (input.PublishBatchRequestEntries ?? []).map((e, i) => ({
        Id: e.Id,
        Code: i % 2 === 0 ? "InvalidParameter" : "KMSDisabled",
        SenderFault: true,
        Message: i % 2 === 0 ? "Subject too long" : "key disabled",
      })),
    }));
    const signals = mixedSignals(4).map((s) => ({ ...s, severity: "medium" as const }));

    const error = await publishSignals(client, [ROUTES[0]!], signals, FAST).catch((e: unknown) => e);

    expect((error as Error).message).toBe(
      `4 of 4 signals were not delivered to SNS: 4 to ${ALERTS} (InvalidParameter: Subject too long; KMSDisabled: key disabled)`,
    );
  });

  it("gives up after maxRounds retry rounds and names what was lost", async () => {
    sns.on(PublishBatchCommand).rejects(serverError());
    const retries: { round: number }[] = [];
    const signals = [makeSignal(1, "high")];

    const error = await publishSignals(client, [ROUTES[0]!], signals, {
      ...FAST,
      maxRounds: 2,
      onRetry: (info) => retries.push(info),
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: "PublishError", undelivered: 1, signalIds: [signals[0]?.id] });
    expect(calls()).toHaveLength(3);
    expect(retries.map((r) => r.round)).toEqual([1, 2]);
  });

  it("makes a single attempt when maxRounds is 0", async () => {
    sns.on(PublishBatchCommand).rejects(serverError());

    await expect(publishSignals(client, ROUTES, [makeSignal(1, "medium")], { maxRounds: 0 })).rejects.toThrow(
      PublishError,
    );
    expect(calls()).toHaveLength(1);
  });

  it("skips ids this topic got recently and remembers only confirmed ones", async () => {
    const recent = new RecentIds({ ttlMs: 60_000 });
    const signals = [makeSignal(1, "high"), makeSignal(2, "high")];
    recent.add(`${ALERTS}|${signals[0]?.id}`);

    const report = await publishSignals(client, ROUTES, signals, { ...FAST, recent });

    expect(report).toMatchObject({ entries: 3, deduplicated: 1, published: 3 });
    expect(calls().find((c) => c.TopicArn === ALERTS)?.PublishBatchRequestEntries).toHaveLength(1);
    expect(calls().find((c) => c.TopicArn === PAGER)?.PublishBatchRequestEntries).toHaveLength(2);
    expect(recent.has(`${PAGER}|${signals[0]?.id}`)).toBe(true);
    expect(recent.has(`${ALERTS}|${signals[1]?.id}`)).toBe(true);
  });

  it("publishes an id given twice in one call once per topic", async () => {
    const signal = makeSignal(1, "medium");

    const report = await publishSignals(client, ROUTES, [signal, structuredClone(signal)], FAST);

    expect(report).toMatchObject({ entries: 1, deduplicated: 1, published: 1, requests: 1 });
  });

  it("does nothing when no signal reaches any route", async () => {
    const report = await publishSignals(client, ROUTES, [makeSignal(1, "low")], FAST);

    expect(report).toEqual({
      signals: 1,
      entries: 0,
      published: 0,
      deduplicated: 0,
      requests: 0,
      retriedEntries: 0,
    });
    expect(calls()).toHaveLength(0);
  });

  it("counts a signal that cannot be rendered as undelivered instead of dropping it", async () => {
    const broken = { ...makeSignal(1, "high"), process: undefined } as unknown as Signal;

    const error = await publishSignals(client, [ROUTES[0]!], [broken, makeSignal(2, "high")], FAST).catch(
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ name: "PublishError", undelivered: 1, signalIds: [broken.id] });
    expect(calls().flatMap((c) => c.PublishBatchRequestEntries ?? [])).toHaveLength(1);
  });

  it.each([[{ maxRounds: -1 }], [{ maxRounds: 1.5 }], [{ baseDelayMs: -1 }], [{ deadlineMs: Number.NaN }]])(
    "rejects options %j",
    async (options) => {
      await expect(publishSignals(client, ROUTES, [], options)).rejects.toThrow(RangeError);
    },
  );
});

describe("publishSignals with a deadline", () => {
  const client = new SNSClient({ region: "us-east-1" });
  const sns = mockClient(client);
  const calls = () => sns.commandCalls(PublishBatchCommand);

  beforeEach(() => {
    sns.reset();
    sns.on(PublishBatchCommand).callsFake(allSuccessful);
  });

  it("stops instead of starting a retry round that would begin past the deadline", async () => {
    sns.on(PublishBatchCommand).rejects(serverError());
    const retries: unknown[] = [];
    const started = Date.now();

    const error = await publishSignals(client, [ROUTES[0]!], [makeSignal(1, "high")], {
      baseDelayMs: 4_000,
      deadlineMs: started + 1_000,
      onRetry: (info) => retries.push(info),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as Error).message).toBe(
      `1 of 1 signals were not delivered to SNS: 1 to ${ALERTS} (InternalErrorException: Internal error); retries stopped at the deadline`,
    );
    expect(calls()).toHaveLength(1);
    expect(retries).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("retries while the rounds fit before the deadline", async () => {
    sns.on(PublishBatchCommand).rejectsOnce(serverError()).callsFake(allSuccessful);

    const report = await publishSignals(client, ROUTES, mixedSignals(10, 200), {
      baseDelayMs: 1,
      deadlineMs: Date.now() + 60_000,
    });

    expect(report.published).toBe(report.entries);
    expect(report.retriedEntries).toBeGreaterThan(0);
  });

  it("sends nothing once the deadline has passed, and says so", async () => {
    const signals = [makeSignal(1, "medium"), makeSignal(2, "critical")];

    const error = await publishSignals(client, ROUTES, signals, {
      ...FAST,
      deadlineMs: Date.now() - 1,
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: "PublishError", undelivered: 2 });
    expect((error as Error).message).toBe(
      `2 of 2 signals were not delivered to SNS: 2 to ${ALERTS} (DeadlineExceeded: not sent, the deadline had passed); 1 to ${PAGER} (DeadlineExceeded: not sent, the deadline had passed); retries stopped at the deadline`,
    );
    expect(calls()).toHaveLength(0);
  });

  it("gives up on a request still unanswered at the deadline", async () => {
    sns.on(PublishBatchCommand).callsFake(() => new Promise(() => {}));
    const started = Date.now();

    const error = await publishSignals(client, [ROUTES[0]!], [makeSignal(1, "high")], {
      ...FAST,
      deadlineMs: started + 200,
    }).catch((e: unknown) => e);

    expect((error as Error).message).toBe(
      `1 of 1 signals were not delivered to SNS: 1 to ${ALERTS} (DeadlineExceeded: no answer before the deadline); retries stopped at the deadline`,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("publishSignals with a deadline, through a real SNS client to an endpoint that never answers", () => {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    // Reads and drops the request: a paused socket would not notice the client closing it.
    socket.resume();
  });
  let client: SNSClient;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    client = new SNSClient({
      region: "us-east-1",
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "example" },
      maxAttempts: 3,
      // Far past the deadline: only the deadline can end these requests.
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
    });
  });
  afterAll(async () => {
    client?.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("throws PublishError at the deadline and closes the connections it opened", async () => {
    const started = Date.now();

    const error = await publishSignals(client, ROUTES, mixedSignals(60, 300), {
      ...FAST,
      deadlineMs: started + 500,
    }).catch((e: unknown) => e);

    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).message).toMatch(
      /^\d+ of 60 signals were not delivered to SNS: .*\(DeadlineExceeded: no answer before the deadline[;)].*; retries stopped at the deadline$/,
    );
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2_000);
    await expect.poll(() => sockets.size, { timeout: 2_000 }).toBe(0);
  });
});
