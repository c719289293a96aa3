// The decode floor: what any detector must pay before looking at a single event —
// read each file, parse the Lambda event, base64-decode, gunzip, JSON.parse the payload.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

let events = 0;
for (const file of process.argv.slice(2)) {
  const event = JSON.parse(readFileSync(file, "utf8"));
  const payload = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, "base64")).toString("utf8"));
  events += payload.logEvents.length;
}
process.stderr.write(`${events} events\n`);
