import { gzipSync } from "node:zlib";
import type { LogEvent } from "../model.js";

/** The JSON CloudWatch Logs delivers to a subscription destination (before gzip/base64). */
export interface AwslogsPayload {
  messageType: "DATA_MESSAGE" | "CONTROL_MESSAGE";
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: LogEvent[];
  policyLevel?: string;
}

/** Wraps a payload the way CloudWatch Logs does for Lambda: `{awslogs: {data: base64(gzip(json))}}`. */
export function encodeAwslogsEvent(payload: AwslogsPayload): { awslogs: { data: string } } {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") } };
}

/** The health probe CloudWatch Logs sends when a subscription filter is created. */
export function controlPayload(logGroup: string, logStream: string): AwslogsPayload {
  return {
    messageType: "CONTROL_MESSAGE",
    owner: "CloudwatchLogs",
    logGroup,
    logStream,
    subscriptionFilters: [],
    logEvents: [
      {
        id: "",
        timestamp: Date.UTC(2026, 10, 28, 12, 0, 0),
        message: "CWL CONTROL MESSAGE: Checking health of destination Lambda function.",
      },
    ],
  };
}
