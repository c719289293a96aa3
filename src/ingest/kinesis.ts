import type { KinesisStreamRecord } from "aws-lambda";
import { DecodeError } from "../errors.js";
import { type Decoded, decodePayloadBuffer } from "./awslogs.js";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

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
  const label = describeRecord(record);
  // The type says it is there; the event comes from outside, so check anyway.
  const data: unknown = (record as { kinesis?: { data?: unknown } } | null)?.kinesis?.data;
  if (typeof data !== "string" || data.length === 0) {
    throw new DecodeError(`${label}: kinesis.data is missing or not a non-empty string`, "base64");
  }
  // Buffer.from skips invalid characters silently; validate so garbage is reported, not half-decoded.
  const compact = data.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 === 1 || !BASE64.test(compact)) {
    throw new DecodeError(`${label}: kinesis.data is not valid base64`, "base64");
  }
  try {
    return decodePayloadBuffer(Buffer.from(compact, "base64"), maxDecodedBytes);
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new DecodeError(`${label}: ${error.message}`, error.stage, { cause: error });
    }
    throw new DecodeError(`${label}: ${(error as Error).message}`, "gzip", { cause: error });
  }
}
