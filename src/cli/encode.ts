import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.js";
import { type AwslogsPayload, controlPayload, encodeAwslogsEvent } from "../ingest/encode.js";
import type { CliIO } from "./io.js";

export const ENCODE_HELP = `Usage: node dist/cli.js encode [--log-group G] [--log-stream S] [--owner ACCOUNT] [--control] [FILE]

Wraps log messages into a Lambda event exactly as a CloudWatch Logs subscription delivers it
({"awslogs":{"data": base64(gzip(json))}}) and prints it on stdout. FILE (or stdin when absent
or "-") holds one log message per line; blank lines are skipped. --control prints a
CONTROL_MESSAGE health probe instead.
`;

/** `encode`: make your own test events from real log lines. */
export async function runEncode(
  argv: string[],
  io: CliIO,
  readStdin: () => Promise<string>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      "log-group": { type: "string", default: "/ecs/sample" },
      "log-stream": { type: "string", default: "ecs/app/0123456789abcdef0123456789abcdef" },
      owner: { type: "string", default: "123456789012" },
      control: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stderr(ENCODE_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError("encode takes at most one FILE");
  const group = values["log-group"];
  const stream = values["log-stream"];
  if (values.control) {
    io.stdout(JSON.stringify(encodeAwslogsEvent(controlPayload(group, stream))));
    return 0;
  }
  const file = positionals[0];
  let text: string;
  try {
    text = file && file !== "-" ? await readFile(file, "utf8") : await readStdin();
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length === 0) throw new UsageError("no log messages to encode (input is empty)");
  const start = io.now();
  const payload: AwslogsPayload = {
    messageType: "DATA_MESSAGE",
    owner: values.owner,
    logGroup: group,
    logStream: stream,
    subscriptionFilters: ["netutil-detector"],
    logEvents: lines.map((message, i) => ({
      id: String(BigInt(start) * 1000n + BigInt(i)),
      timestamp: start + i,
      message,
    })),
  };
  io.stdout(JSON.stringify(encodeAwslogsEvent(payload)));
  return 0;
}
