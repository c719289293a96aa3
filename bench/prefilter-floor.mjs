// The decode floor (bench/floor.mjs) plus the detector's raw-text prefilter over every message, and
// nothing else: the least the pipeline can cost on corpora (a) and (b), where almost every message is
// skipped by the prefilter, while the prefilter is a regular expression run over each message.
// Bundled by bench/run.mjs into bench/.data/prefilter-floor.mjs (esbuild reads the TypeScript source),
// so it also pays for loading the prefilter and what it imports, as the CLI does.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { mentionsNetworkUtility } from "../src/detection/prefilter.js";

let events = 0;
let kept = 0;
for (const file of process.argv.slice(2)) {
  const event = JSON.parse(readFileSync(file, "utf8"));
  const payload = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, "base64")).toString("utf8"));
  events += payload.logEvents.length;
  for (const logEvent of payload.logEvents) if (mentionsNetworkUtility(logEvent.message)) kept++;
}
process.stderr.write(`${events} events, ${kept} let through by the prefilter\n`);
