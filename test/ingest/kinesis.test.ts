import { gzipSync } from "node:zlib";
import type { KinesisStreamRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../src/errors.js";
import { decodeKinesisRecord } from "../../src/ingest/kinesis.js";

const MAX = 1024 * 1024;
const SEQUENCE = "49590338271490256608559692538361571095921575989136588898";

/** The JSON CloudWatch Logs writes to a Kinesis stream for one subscription delivery. */
const DATA_PAYLOAD = {
  messageType: "DATA_MESSAGE",
  owner: "123456789012",
  logGroup: "/ecs/payments",
  logStream: "ecs/api/6f1d3c2b9e8a4b7c",
  subscriptionFilters: ["netutil-detector"],
  logEvents: [
    {
      id: "37969283757293654032746201348721048102847201923874619392",
      timestamp: 1_718_000_000_000,
      message: '{"process_exec":{"process":{"binary":"/usr/bin/curl","arguments":"-s http://example.com"}}}',
    },
  ],
};

const CONTROL_PAYLOAD = {
  messageType: "CONTROL_MESSAGE",
  owner: "CloudwatchLogs",
  logGroup: "",
  logStream: "",
  subscriptionFilters: [],
  logEvents: [
    {
      id: "",
      timestamp: 1_718_000_000_000,
      message: "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.",
    },
  ],
};

/** A record shaped as Lambda delivers it from a Kinesis event source mapping. */
function kinesisRecord(data: string): KinesisStreamRecord {
  return {
    awsRegion: "us-east-1",
    eventID: `shardId-000000000000:${SEQUENCE}`,
    eventName: "aws:kinesis:record",
    eventSource: "aws:kinesis",
    eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/netutil-logs",
    eventVersion: "1.0",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/netutil-detector",
    kinesis: {
      approximateArrivalTimestamp: 1_718_000_001.5,
      data,
      kinesisSchemaVersion: "1.0",
      partitionKey: "b0b3d2a6c1e94f3e8d5a7c9b1e2f3a4d",
      sequenceNumber: SEQUENCE,
    },
  };
}

function encode(payload: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64");
}

function decodeError(act: () => unknown): DecodeError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error("expected a DecodeError");
}

describe("decodeKinesisRecord", () => {
  it("decodes a CloudWatch Logs data message into a batch", () => {
    const record = kinesisRecord(encode(DATA_PAYLOAD));

    const decoded = decodeKinesisRecord(record, MAX);

    expect(decoded).toEqual({
      kind: "data",
      batch: {
        owner: "123456789012",
        logGroup: "/ecs/payments",
        logStream: "ecs/api/6f1d3c2b9e8a4b7c",
        subscriptionFilters: ["netutil-detector"],
        logEvents: DATA_PAYLOAD.logEvents,
      },
    });
  });

  it("acknowledges a control message", () => {
    const record = kinesisRecord(encode(CONTROL_PAYLOAD));

    expect(decodeKinesisRecord(record, MAX)).toEqual({ kind: "control" });
  });

  it("rejects garbage that is not base64, naming the sequence number", () => {
    const record = kinesisRecord("this is not base64!");

    const error = decodeError(() => decodeKinesisRecord(record, MAX));

    expect(error.stage).toBe("base64");
    expect(error.message).toContain(SEQUENCE);
  });

  it("rejects empty data", () => {
    const record = kinesisRecord("");

    const error = decodeError(() => decodeKinesisRecord(record, MAX));

    expect(error.stage).toBe("base64");
    expect(error.message).toContain(SEQUENCE);
  });

  it("rejects base64 that is not gzip", () => {
    const record = kinesisRecord(Buffer.from("plain text, not gzip").toString("base64"));

    const error = decodeError(() => decodeKinesisRecord(record, MAX));

    expect(error.stage).toBe("gzip");
    expect(error.message).toContain(SEQUENCE);
    expect(error.cause).toBeInstanceOf(DecodeError);
  });

  it("rejects gzip that is not JSON", () => {
    const record = kinesisRecord(gzipSync(Buffer.from("START RequestId: 1")).toString("base64"));

    expect(decodeError(() => decodeKinesisRecord(record, MAX)).stage).toBe("json");
  });

  it("rejects JSON of the wrong shape", () => {
    const payload = { ...structuredClone(DATA_PAYLOAD), messageType: "SOMETHING_ELSE" };
    const record = kinesisRecord(encode(payload));

    expect(decodeError(() => decodeKinesisRecord(record, MAX)).stage).toBe("shape");
  });

  it("bounds decompression against gzip bombs", () => {
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)).toString("base64");
    const record = kinesisRecord(bomb);

    const error = decodeError(() => decodeKinesisRecord(record, 64 * 1024));

    expect(error.stage).toBe("size");
    expect(error.message).toContain(SEQUENCE);
  });

  it("rejects a record without a kinesis payload", () => {
    const record = { ...kinesisRecord("x"), kinesis: undefined } as unknown as KinesisStreamRecord;

    const error = decodeError(() => decodeKinesisRecord(record, MAX));

    expect(error.stage).toBe("base64");
    expect(error.message).toContain("no sequence number");
  });
});
