import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { PublishError } from "../src/errors.js";
import { handleEvent, type Sink, summarize } from "../src/invocation.js";
import { METRIC, type Telemetry } from "../src/telemetry.js";
import { sampleEvent } from "./support/events.js";

const config = loadConfig({}, { requireTopic: false });

function recorder() {
  const counts: Record<string, number> = {};
  const logs: string[] = [];
  const telemetry: Telemetry = {
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m, a) => logs.push(`error ${m} ${JSON.stringify(a)}`),
    count: (name, value, dim) => {
      const key = dim ? `${name}[${dim.value}]` : name;
      counts[key] = (counts[key] ?? 0) + value;
    },
    flush: () => {},
  };
  return { counts, logs, telemetry };
}

const ok: Sink = async (signals) => ({ published: signals.length, deduplicated: 0, requests: 1 });

describe("handleEvent with Kinesis records", () => {
  it("processes every record and reports no failure", async () => {
    const result = await handleEvent(sampleEvent("kinesis-two-records.json"), {
      config,
      sink: ok,
      telemetry: recorder().telemetry,
    });
    expect(result.source).toBe("kinesis");
    expect(result.signals).toHaveLength(2);
    expect(result.batchItemFailures).toEqual([]);
  });

  it("reports the first record whose signals could not be published and stops there", async () => {
    let calls = 0;
    const failSecond: Sink = async (signals) => {
      calls++;
      if (calls === 2) throw new PublishError("1 signal not delivered", 1, [signals[0]?.id ?? ""]);
      return { published: signals.length, deduplicated: 0, requests: 1 };
    };
    const event = sampleEvent("kinesis-two-records.json") as {
      Records: { kinesis: { sequenceNumber: string } }[];
    };
    const { counts, telemetry } = recorder();
    const result = await handleEvent(event, { config, sink: failSecond, telemetry });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]?.kinesis.sequenceNumber }]);
    expect(counts[METRIC.publishFailures]).toBe(1);
  });

  it("reports an undecodable record as a batch item failure", async () => {
    const event = sampleEvent("kinesis-two-records.json") as { Records: { kinesis: { data: string } }[] };
    event.Records[0]!.kinesis.data = Buffer.from("garbage").toString("base64");
    const { counts, telemetry } = recorder();
    const result = await handleEvent(event, { config, sink: ok, telemetry });

    expect(result.batchItemFailures).toHaveLength(1);
    expect(result.signals).toEqual([]);
    expect(counts[METRIC.decodeErrors]).toBe(1);
  });
});

describe("handleEvent telemetry", () => {
  it("counts log events, exec events by format, findings by severity and publishing", async () => {
    const { counts, telemetry } = recorder();
    const result = await handleEvent(sampleEvent("mixed-batch-with-garbage.json"), {
      config,
      sink: ok,
      telemetry,
    });

    expect(counts[METRIC.logEvents]).toBe(result.stats.logEvents);
    expect(counts[`${METRIC.execEvents}[falco]`]).toBe(1);
    expect(counts[`${METRIC.findings}[medium]`]).toBe(1);
    expect(counts[METRIC.published]).toBe(1);
    expect(counts[METRIC.parseErrors]).toBeGreaterThanOrEqual(1);
    expect(summarize(result)).toMatchObject({ signals: 1, published: 1, logEvents: result.stats.logEvents });
  });

  it("counts a decode error, logs its stage without the payload, and throws", async () => {
    const { counts, logs, telemetry } = recorder();
    await expect(
      handleEvent(sampleEvent("bad-payload.json"), { config, sink: ok, telemetry }),
    ).rejects.toMatchObject({ name: "DecodeError", stage: "gzip" });
    expect(counts[METRIC.decodeErrors]).toBe(1);
    expect(logs.join("\n")).toMatch(/"stage":"gzip"/);
    expect(logs.join("\n")).not.toContain("dGhpcyBpcyBub3QgZ3ppcCBkYXRh");
  });

  it("fails the invocation when the sink loses a signal", async () => {
    const lose: Sink = async () => {
      throw new PublishError("1 signal(s) not delivered", 1);
    };
    const { counts, telemetry } = recorder();
    await expect(
      handleEvent(sampleEvent("falco-wget-piped-to-shell.json"), { config, sink: lose, telemetry }),
    ).rejects.toBeInstanceOf(PublishError);
    expect(counts[METRIC.publishFailures]).toBe(1);
  });
});

describe("handleEvent with malformed Kinesis events", () => {
  it("rejects a record without a sequence number as a whole-event decode error", async () => {
    const event = sampleEvent("kinesis-two-records.json") as { Records: Record<string, unknown>[] };
    delete (event.Records[1]!.kinesis as Record<string, unknown>).sequenceNumber;
    await expect(
      handleEvent(event, { config, sink: ok, telemetry: recorder().telemetry }),
    ).rejects.toMatchObject({
      name: "DecodeError",
      stage: "event",
      message: "Kinesis event record 1 has no kinesis.sequenceNumber",
    });
  });

  it("rejects a Kinesis event with a record that is not a Kinesis record", async () => {
    const event = sampleEvent("kinesis-two-records.json") as { Records: unknown[] };
    event.Records.push({ eventSource: "aws:sqs", body: "{}" });
    await expect(
      handleEvent(event, { config, sink: ok, telemetry: recorder().telemetry }),
    ).rejects.toMatchObject({
      stage: "event",
    });
  });
});
