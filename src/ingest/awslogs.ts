import { isAscii } from "node:buffer";
import { gunzipSync } from "node:zlib";
import { DecodeError } from "../errors.js";
import type { LogBatch, LogEvent } from "../model.js";
import { parseInPieces } from "./pieces.js";

/** A decoded subscription payload: data to process, or a health probe to acknowledge. */
export type Decoded = { kind: "data"; batch: LogBatch } | { kind: "control" };

/** A log event that arrived but is not usable (wrong types); counted, never fatal. */
export interface DroppedEvent {
  index: number;
  reason: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes base64(gzip(JSON)) exactly as CloudWatch Logs writes it to a subscription destination:
 * base64, then gunzip bounded to `maxDecodedBytes`, then JSON, then shape. `field` names the
 * field in error messages. Throws {@link DecodeError} naming the failing stage, so Lambda retries
 * and the on-failure destination keeps the payload.
 */
export function decodeBase64Payload(data: unknown, field: string, maxDecodedBytes: number): Decoded {
  if (typeof data !== "string" || data.length === 0) {
    throw new DecodeError(`${field} is missing or not a non-empty string`, "base64");
  }
  return decodePayloadBuffer(decodeBase64(data, field), maxDecodedBytes);
}

/**
 * Base64 as CloudWatch Logs and Kinesis write it: standard alphabet, optional padding, whitespace
 * tolerated. Buffer.from silently skips characters outside its alphabet and stops at the first "=",
 * so the decoded length proves the text clean: for canonical text (no whitespace, at most two "="
 * at the end, no "-" or "_", which Buffer.from reads as base64url) it is exactly 3 bytes per 4
 * characters, and any skipped character or early "=" makes it shorter. Text that fails the check
 * (whitespace, say) gets the slow character-level check before a verdict.
 */
export function decodeBase64(data: string, field: string): Buffer {
  const decoded = Buffer.from(data, "base64");
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  const body = data.length - padding;
  if (
    data.length !== 0 &&
    data.length % 4 !== 1 &&
    body % 4 !== 1 &&
    decoded.length === Math.floor((body * 3) / 4) &&
    !data.includes("-") &&
    !data.includes("_")
  ) {
    return decoded;
  }
  const compact = data.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 === 1 || !BASE64.test(compact)) {
    throw new DecodeError(`${field} is not valid base64`, "base64");
  }
  return Buffer.from(compact, "base64");
}

/** Decodes the `awslogs.data` string of a CloudWatch Logs subscription event. */
export function decodeAwslogsData(data: unknown, maxDecodedBytes: number): Decoded {
  return decodeBase64Payload(data, "awslogs.data", maxDecodedBytes);
}

/** Decodes a whole subscription event `{awslogs: {data}}`; anything else is a DecodeError ("event"). */
export function decodeAwslogsEvent(event: unknown, maxDecodedBytes: number): Decoded {
  if (!isRecord(event) || !isRecord(event.awslogs)) {
    throw new DecodeError(
      "event is neither a CloudWatch Logs subscription event ({awslogs: {data}}) nor a Kinesis event",
      "event",
    );
  }
  return decodeAwslogsData(event.awslogs.data, maxDecodedBytes);
}

/**
 * Gunzips (bounded) and validates the JSON payload CloudWatch Logs writes to a subscription
 * destination. Shared by the direct Lambda path and the Kinesis path.
 */
export function decodePayloadBuffer(gz: Buffer, maxDecodedBytes: number): Decoded {
  return toDecoded(parsePayload(gunzip(gz, maxDecodedBytes)));
}

/**
 * The decompressed payload as JSON. Up to {@link ASCII_FAST_PATH_BYTES}, from its whole text; above,
 * in pieces ({@link parseInPieces}), and the decompressed bytes are handed to a fresh ArrayBuffer that
 * nothing holds, so the next young collection frees them rather than the next full one.
 */
function parsePayload(raw: Buffer): unknown {
  if (raw.length <= ASCII_FAST_PATH_BYTES) return parseText(textOf(raw));
  try {
    return parseInPieces(raw) ?? parseText(raw.toString("utf8"));
  } finally {
    release(raw);
  }
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`decompressed payload is not JSON: ${(error as Error).message}`, "json", {
      cause: error,
    });
  }
}

/** Moves `raw`'s memory (a buffer of its own, never Node's shared pool: only large ones) to an unreferenced ArrayBuffer. */
function release(raw: Buffer): void {
  const memory = raw.buffer;
  if (!(memory instanceof ArrayBuffer)) return;
  try {
    structuredClone(memory, { transfer: [memory] });
  } catch {
    // Not transferable: it is freed with `raw`, as any buffer.
  }
}

/**
 * One output chunk that holds the whole payload, so zlib fills a single buffer instead of collecting
 * chunks and copying them into a second one of the same size. The gzip trailer declares the size (mod
 * 2^32) of the last member, and CloudWatch Logs writes one; a false declaration only costs the copy
 * (too small) or untouched pages up to the bound (too large).
 */
function outputChunkSize(gz: Buffer, maxDecodedBytes: number): number {
  const declared = gz.length >= 18 ? gz.readUInt32LE(gz.length - 4) : 0;
  // One byte more than declared: a chunk filled exactly would make zlib allocate another to look further.
  return Math.min(maxDecodedBytes, Math.max(64 * 1024, declared + 1));
}

function gunzip(gz: Buffer, maxDecodedBytes: number): Buffer {
  try {
    return gunzipSync(gz, {
      maxOutputLength: maxDecodedBytes,
      chunkSize: outputChunkSize(gz, maxDecodedBytes),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      throw new DecodeError(
        `decompressed payload exceeds the bound of ${maxDecodedBytes} bytes (gzip bomb or oversized batch)`,
        "size",
        { cause: error },
      );
    }
    throw new DecodeError(`payload is not valid gzip data: ${(error as Error).message}`, "gzip", {
      cause: error,
    });
  }
}

/**
 * Payloads up to this many decompressed bytes are parsed from their whole text, through the ASCII fast
 * path of {@link textOf}; larger ones in pieces ({@link parsePayload}). A whole text, dead once parsed,
 * is freed only by a full garbage collection (the Latin-1 one is even a copy outside V8's heap), so for a
 * large payload it stayed next to the parsed batch for most of the invocation: the maximal batch's peak
 * RSS was 2.6 times its size (2.9 with Latin-1), 2.4 in pieces. Pieces cost about 12 % more CPU, which
 * is why small payloads keep the whole text.
 */
export const ASCII_FAST_PATH_BYTES = 8 * 1024 * 1024;

/**
 * The payload as text, exactly as `raw.toString("utf8")` reads it. Log payloads are almost always pure
 * ASCII, and for ASCII bytes Latin-1 and UTF-8 decode to the same string: Node 20's UTF-8 decoder costs
 * about 3 ns a byte (20 ms for a 6 MB batch, as much as gunzip and JSON.parse together), the ASCII check
 * plus a Latin-1 copy about 0.3 ns warm. Any other byte (UTF-8 text, or bytes that are not UTF-8 at all),
 * and any buffer above {@link ASCII_FAST_PATH_BYTES}, takes the UTF-8 decoder, replacement characters included.
 */
export function textOf(raw: Buffer): string {
  return raw.length <= ASCII_FAST_PATH_BYTES && isAscii(raw) ? raw.toString("latin1") : raw.toString("utf8");
}

function stringField(payload: Record<string, unknown>, name: string): string {
  const value = payload[name];
  if (typeof value !== "string") {
    throw new DecodeError(`payload field "${name}" is missing or not a string`, "shape");
  }
  return value;
}

function toDecoded(payload: unknown): Decoded {
  if (!isRecord(payload)) throw new DecodeError("payload is not a JSON object", "shape");
  const messageType = payload.messageType;
  if (messageType === "CONTROL_MESSAGE") return { kind: "control" };
  if (messageType !== "DATA_MESSAGE") {
    throw new DecodeError(
      `payload messageType is ${JSON.stringify(messageType)}, expected DATA_MESSAGE or CONTROL_MESSAGE`,
      "shape",
    );
  }
  const events = payload.logEvents;
  if (!Array.isArray(events)) throw new DecodeError('payload field "logEvents" is not an array', "shape");
  const filters = Array.isArray(payload.subscriptionFilters)
    ? payload.subscriptionFilters.filter((f): f is string => typeof f === "string")
    : [];
  const logEvents: LogEvent[] = [];
  const dropped: DroppedEvent[] = [];
  for (let index = 0; index < events.length; index++) {
    const event: unknown = events[index];
    if (!isRecord(event)) {
      dropped.push({ index, reason: "log event is not an object" });
      continue;
    }
    const { id, timestamp, message } = event;
    if (typeof message !== "string") {
      dropped.push({ index, reason: "log event message is not a string" });
      continue;
    }
    logEvents.push({
      id: typeof id === "string" && id ? id : `index-${index}`,
      timestamp: typeof timestamp === "number" && Number.isFinite(timestamp) ? timestamp : 0,
      message,
    });
  }
  const batch: LogBatch = {
    owner: stringField(payload, "owner"),
    logGroup: stringField(payload, "logGroup"),
    logStream: stringField(payload, "logStream"),
    subscriptionFilters: filters,
    logEvents,
  };
  if (dropped.length > 0) batch.dropped = dropped;
  return { kind: "data", batch };
}
