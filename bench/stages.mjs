// Bundled by bench/run.mjs into bench/.data/stages.mjs (esbuild reads the TypeScript sources), then run
// in a process of its own:
//   stages.mjs stages ROUNDS FILE...  per-stage milliseconds over the files, and the decode floor's
//                                     steps over the same files, alternated; medians of ROUNDS, warm
//   stages.mjs rss FILE               peak RSS of one handler-like pass over one file (cold process)
// Prints one JSON object on stdout.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { emitSeverity, loadConfig } from "../src/config.js";
import { mentionsNetworkUtility } from "../src/detection/prefilter.js";
import { decodeAwslogsEvent } from "../src/ingest/awslogs.js";
import { batchJudge, processBatch } from "../src/pipeline.js";
import { atLeast } from "../src/severity.js";
import { buildSignals } from "../src/signals/build.js";
import { renderSnsMessage } from "../src/signals/render.js";
import { parseMessage } from "../src/sources/index.js";
import { batchLineage, withNotes } from "../src/sources/lineage.js";

const config = loadConfig(process.env, { requireTopic: false });
const minSeverity = emitSeverity(config);
const [mode, ...rest] = process.argv.slice(2);

/** CPU milliseconds of this process: on a shared machine, steadier than the wall clock. */
function now() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** One pass over the files, the pipeline's steps timed apart (same order and choices as processBatch). */
function timedPass(files) {
  const ms = { read: 0, decode: 0, prefilter: 0, parse: 0, lineage: 0, detect: 0, build: 0, render: 0 };
  let signals = 0;
  for (const file of files) {
    let t = now();
    const event = JSON.parse(readFileSync(file, "utf8"));
    ms.read += now() - t;
    t = now();
    const decoded = decodeAwslogsEvent(event, config.maxDecodedBytes);
    ms.decode += now() - t;
    if (decoded.kind !== "data") continue;
    const { batch } = decoded;
    t = now();
    const kept = [];
    for (let index = 0; index < batch.logEvents.length; index++) {
      if (mentionsNetworkUtility(batch.logEvents[index].message)) kept.push(index);
    }
    ms.prefilter += now() - t;
    t = now();
    const contextOf = (logEvent) => ({
      logGroup: batch.logGroup,
      logStream: batch.logStream,
      owner: batch.owner,
      eventId: logEvent.id,
      timestamp: logEvent.timestamp,
    });
    const lineage = batchLineage(batch.logEvents, contextOf);
    const parsed = [];
    for (const index of kept) {
      const outcome = parseMessage(batch.logEvents[index].message, contextOf(batch.logEvents[index]));
      lineage.remember(index, outcome);
      if (outcome.kind === "events") parsed.push(...outcome.events);
    }
    ms.parse += now() - t;
    t = now();
    for (const exec of parsed) lineage.complete(exec);
    ms.lineage += now() - t;
    t = now();
    const judge = batchJudge({ allowlist: config.allowlist, channels: config.channels });
    const findings = [];
    for (const exec of parsed) {
      const verdict = judge(exec);
      if (verdict.kind !== "finding") continue;
      const finding = withNotes(verdict.finding);
      if (!atLeast(finding.severity, minSeverity)) continue;
      if (config.allowlist.match(finding) !== null) continue;
      findings.push(finding);
    }
    ms.detect += now() - t;
    t = now();
    const built = buildSignals(findings, config.region ? { region: config.region } : {});
    ms.build += now() - t;
    t = now();
    for (const signal of built) renderSnsMessage(signal);
    ms.render += now() - t;
    signals += built.length;
  }
  return { ms, signals };
}

/** Exactly bench/floor.mjs's work, timed in this process. */
function floorPass(files) {
  const t = now();
  for (const file of files) {
    const event = JSON.parse(readFileSync(file, "utf8"));
    JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, "base64")).toString("utf8"));
  }
  return now() - t;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (mode === "stages") {
  const [rounds, ...files] = rest;
  timedPass(files); // warm-up
  floorPass(files);
  const passes = [];
  const floors = [];
  const totals = [];
  for (let r = 0; r < Number(rounds); r++) {
    floors.push(floorPass(files));
    const pass = timedPass(files);
    passes.push(pass);
    totals.push(Object.values(pass.ms).reduce((a, b) => a + b, 0));
  }
  const ms = Object.fromEntries(
    Object.keys(passes[0].ms).map((k) => [k, median(passes.map((p) => p.ms[k]))]),
  );
  const out = { ms, total: median(totals), floor: median(floors), signals: passes[0].signals };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (mode === "rss") {
  // What one invocation of the handler holds at its peak: the event, the decoded batch, the
  // signals and their rendered messages (the SNS sink renders every signal before sending).
  const [file] = rest;
  const before = process.memoryUsage.rss();
  const event = JSON.parse(readFileSync(file, "utf8"));
  const decoded = decodeAwslogsEvent(event, config.maxDecodedBytes);
  if (decoded.kind !== "data") throw new Error("bench: the maximal batch must be a DATA_MESSAGE");
  const { signals } = processBatch(decoded.batch, { minSeverity, allowlist: config.allowlist });
  const rendered = signals.map(renderSnsMessage);
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({ before, peak, events: decoded.batch.logEvents.length, signals: rendered.length })}\n`,
  );
}
