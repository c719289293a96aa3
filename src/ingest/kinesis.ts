import type { KinesisStreamRecord } from "aws-lambda";
import { DecodeError } from "../errors.js";
import { type Decoded, decodeBase64Payload } from "./awslogs.js";

function describeRecord(record: unknown): string {
  const kinesis = (record as { kinesis?: { sequenceNumber?: unknown } } | null)?.kinesis;
  const sequence = kinesis?.sequenceNumber;
  return typeof sequence === "string" && sequence
    ? `Kinesis record ${sequence}`
    : "Kinesis record (no sequence number)";
}

/**
 * Decodes one Kinesis Data Streams record written by a CloudWatch Logs subscription filter:
 * `kinesis.data` is base64 of the same gzip JSON payload a direct Lambda subscription carries.
 * Throws {@link DecodeError} (stage kept from the failing step) whose message names the record's
 * sequence number, so the handler can report that record as a batch item failure.
 */
export function decodeKinesisRecord(record: KinesisStreamRecord, maxDecodedBytes: number): Decoded {
  // The type says it is there; the event comes from outside, so check anyway.
  const data: unknown = (record as { kinesis?: { data?: unknown } } | null)?.kinesis?.data;
  try {
    return decodeBase64Payload(data, "kinesis.data", maxDecodedBytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new DecodeError(`${describeRecord(record)}: ${error.message}`, error.stage, { cause: error });
  }
}
