// The decode floor: what any detector must pay before looking at a single event —
// read each file, parse the Lambda event, base64-decode, gunzip, JSON.parse the payload.
// With --messages first, it also JSON.parses every log message: the least a detector pays on a
// corpus where every event must be read (the bench's (c)).
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const args = process.argv.slice(2);
const messages = args[0] === "--messages";
let events = 0;
let parsed = 0;
for (const file of messages ? args.slice(1) : args) {
  const event = JSON.parse(readFileSync(file, "utf8"));
  const payload = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, "base64")).toString("utf8"));
  events += payload.logEvents.length;
  if (messages) for (const logEvent of payload.logEvents) if (JSON.parse(logEvent.message)) parsed++;
}
process.stderr.write(`${events} events${messages ? `, ${parsed} messages parsed` : ""}\n`);
