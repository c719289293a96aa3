// `npm run bench`: measures the detector against floors taken in the same run, on this machine,
// as whole processes, alternating the contenders so drift hits both alike. Prints ratios for three
// corpora (mix, fleet, worst: see generate.mjs), the per-stage time of each, the peak RSS of a maximal
// batch, and the handler's cold start.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { common } from "../scripts/build.mjs";
import { LAMBDA_NODE_OPTIONS } from "../scripts/runtime.mjs";
import { generate, generateBusy, generateMaximal } from "./generate.mjs";

// The bench talks to moto with the SDK; its Node 20 deprecation notice is not a result.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const root = resolve(new URL("..", import.meta.url).pathname);
const data = join(root, "bench/.data");
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
mkdirSync(data, { recursive: true });

if (!existsSync(join(root, "dist/handler.js"))) {
  console.error("bench: dist/handler.js is missing; run `npm run build` first");
  process.exit(1);
}

const BATCHES = 10;
const EVENTS = 5000;
const CORPORA = [
  { mix: "mix", label: "(a) mix", what: "1 in 200 a utility, 97 pods", target: 1.15 },
  { mix: "fleet", label: "(b) fleet", what: "1 in 200, each utility in a pod of its own", target: 1.15 },
  { mix: "worst", label: "(c) worst", what: "every event a utility", target: 1.8 },
].map((corpus) => ({ ...corpus, ...generate(data, BATCHES, EVENTS, corpus.mix) }));
const maximal = generateMaximal(data);
const env = {
  ...process.env,
  SNS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:netutil-bench",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
};
const cliEnv = { ...env, SNS_TOPIC_ARN: "" };

// The baseline for cold start: the smallest useful Lambda, an SNS client bundled the same way.
const bareEntry = join(data, "bare-sns-entry.mjs");
writeFileSync(
  bareEntry,
  'import { SNSClient } from "@aws-sdk/client-sns";\nexport const sns = new SNSClient({});\n',
);
await build({
  ...common,
  entryPoints: [bareEntry],
  outfile: join(data, "bare-sns.mjs"),
  absWorkingDir: root,
});
// The per-stage probe, bundled from the sources like the function.
const stagesProbe = join(data, "stages.mjs");
await build({
  ...common,
  entryPoints: [join(root, "bench/stages.mjs")],
  outfile: stagesProbe,
  absWorkingDir: root,
});

// The floor plus the prefilter alone, bundled the same way: the bound of this design on (a) and (b).
const prefilterFloor = join(data, "prefilter-floor.mjs");
await build({
  ...common,
  entryPoints: [join(root, "bench/prefilter-floor.mjs")],
  outfile: prefilterFloor,
  absWorkingDir: root,
});

const cpuFile = join(data, "cpu-time.txt");
const cpuPreload = join(root, "bench/cpu-time.mjs");

/** One run of a contender: wall-clock and CPU milliseconds. */
function timeOnce(args, childEnv) {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ["--import", cpuPreload, ...args], {
    cwd: root,
    env: { ...childEnv, BENCH_CPU_FILE: cpuFile },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) {
    console.error(`bench: ${args.join(" ")} failed:\n${run.stderr}`);
    process.exit(1);
  }
  return { wall, cpu: Number(readFileSync(cpuFile, "utf8")) };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs the contenders alternately `rounds` times (after one warm-up each); medians of wall and CPU ms. */
function race(contenders) {
  const times = contenders.map(() => []);
  for (const c of contenders) timeOnce(c.args, c.env);
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of contenders.entries()) times[i].push(timeOnce(c.args, c.env));
  }
  return times.map((t) => ({
    wall: median(t.map((x) => x.wall)),
    cpu: median(t.map((x) => x.cpu)),
    runs: t,
  }));
}

/**
 * `a` over `b` (two contenders of one race) round by round, CPU time: the median and the range. Each
 * round runs both within a second or two, so a machine that speeds up or slows down over the race
 * moves both sides of a round's ratio alike, where it would move the two medians apart.
 */
function pairedRatio(a, b) {
  const ratios = a.runs.map((run, r) => run.cpu / b.runs[r].cpu).sort((x, y) => x - y);
  return { median: median(ratios), low: ratios[0], high: ratios[ratios.length - 1] };
}

/** Runs the probe in a process of its own (with `nodeFlags`); its one line of JSON. */
function probe(args, nodeFlags = []) {
  const run = spawnSync(process.execPath, [...nodeFlags, stagesProbe, ...args], {
    cwd: root,
    env: cliEnv,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) {
    console.error(`bench: stages probe ${args[0]} failed:\n${run.stderr}`);
    process.exit(1);
  }
  return JSON.parse(run.stdout);
}

for (const corpus of CORPORA) {
  // A third contender, the least this design can cost: on (c), where every message must be parsed,
  // the floor plus one JSON.parse a message; elsewhere the floor plus the prefilter over every message.
  [corpus.floor, corpus.pipeline, corpus.bound] = race([
    { args: ["bench/floor.mjs", ...corpus.files], env: cliEnv },
    { args: ["dist/cli.js", "invoke", "--dry-run", ...corpus.files], env: cliEnv },
    corpus.mix === "worst"
      ? { args: ["bench/floor.mjs", "--messages", ...corpus.files], env: cliEnv }
      : { args: [prefilterFloor, ...corpus.files], env: cliEnv },
  ]);
  corpus.stages = probe(["stages", String(rounds), ...corpus.files]);
}
const [bare, handler] = race([
  { args: [join(data, "bare-sns.mjs")], env },
  { args: ["dist/handler.js"], env },
]);
// With the NODE_OPTIONS every deployment sets (scripts/runtime.mjs): the memory measured is the deployed one.
const rss = probe(["rss", maximal.file], LAMBDA_NODE_OPTIONS.split(" "));

// What a cold start reads: handler.js and the chunks it imports statically (dist/meta.json), not the
// chunks a configuration loads on demand (EventBridge, Security Hub, the ledger's DynamoDB client).
const meta = JSON.parse(readFileSync(join(root, "dist/meta.json"), "utf8"));
const loaded = new Set();
for (const pending = ["dist/handler.js"]; pending.length > 0; ) {
  const output = pending.pop();
  if (loaded.has(output)) continue;
  loaded.add(output);
  for (const i of meta.outputs[output]?.imports ?? [])
    if (i.kind === "import-statement" && !i.external) pending.push(i.path);
}
const onDemand = Object.keys(meta.outputs).filter(
  (o) => o.startsWith("dist/chunks/") && o.endsWith(".js") && !loaded.has(o),
);
const bytesOf = (outputs) => outputs.reduce((sum, o) => sum + statSync(join(root, o)).size, 0);
const size = bytesOf([...loaded]);
const gz = [...loaded].reduce((sum, o) => sum + gzipSync(readFileSync(join(root, o))).length, 0);
const onDemandSize = bytesOf(onDemand);
const bareSize = statSync(join(data, "bare-sns.mjs")).size;
const MB = 1024 * 1024;

function row(name, ratio, target, detail) {
  const verdict = ratio <= target ? "meets" : "OVER";
  return `  ${name.padEnd(34)} ${ratio.toFixed(2).padStart(5)}  (target <= ${target}, ${verdict})  ${detail}`;
}

console.log(
  `netutil-detector benchmark — ${BATCHES} batches x ${EVENTS} Tetragon exec events per corpus; median of ${rounds} runs, node ${process.version}`,
);
console.log(
  "pipeline / decode floor, whole processes (start-up included), CPU time: median of the rounds' ratios, their range, then medians (wall time after them):",
);
for (const c of CORPORA) {
  const ratio = pairedRatio(c.pipeline, c.floor);
  const detail = `rounds ${ratio.low.toFixed(2)}-${ratio.high.toFixed(2)}; ${c.pipeline.cpu.toFixed(0)} vs ${c.floor.cpu.toFixed(0)} ms CPU (wall ${(c.pipeline.wall / c.floor.wall).toFixed(2)}: ${c.pipeline.wall.toFixed(0)} vs ${c.floor.wall.toFixed(0)} ms); ${c.utilities} utilities, ${c.what}`;
  console.log(row(c.label, ratio.median, c.target, detail));
  const bound = c.mix === "worst" ? "JSON.parse of every message" : "the prefilter over every message";
  console.log(
    `      the decode floor plus ${bound}: ${c.bound.cpu.toFixed(0)} ms CPU = ${pairedRatio(c.bound, c.floor).median.toFixed(2)} of the floor; the pipeline is ${pairedRatio(c.pipeline, c.bound).median.toFixed(2)}x that`,
  );
}
console.log("pipeline / decode floor in one warm process (no start-up), CPU ms per stage:");
for (const c of CORPORA) {
  const { ms, total, floor, signals } = c.stages;
  console.log(
    row(
      c.label,
      total / floor,
      c.target,
      `${total.toFixed(0)} ms vs ${floor.toFixed(0)} ms; ${signals} signals`,
    ),
  );
  const stages = Object.entries(ms).map(([stage, t]) => `${stage} ${t.toFixed(0)}`);
  console.log(`${" ".repeat(45)}ms: ${stages.join(", ")}`);
}
const growth = rss.peak - rss.before;
console.log(
  row(
    "maximal batch: RSS growth / payload",
    growth / maximal.decompressedBytes,
    2.5,
    `peak RSS ${(rss.peak / MB).toFixed(0)} MiB (${(rss.before / MB).toFixed(0)} MiB before the batch) for ${(maximal.decompressedBytes / MB).toFixed(1)} MiB decompressed: ${maximal.events} events in a ${(maximal.eventBytes / 1024).toFixed(0)} KiB Lambda event, ${rss.signals} signals`,
  ),
);
const load = pairedRatio(handler, bare);
console.log(
  row(
    "handler load / bare SNS bundle",
    load.median,
    1.0,
    `rounds ${load.low.toFixed(2)}-${load.high.toFixed(2)}; ${handler.cpu.toFixed(0)} vs ${bare.cpu.toFixed(0)} ms CPU (wall ${(handler.wall / bare.wall).toFixed(2)}: ${handler.wall.toFixed(0)} vs ${bare.wall.toFixed(0)} ms)`,
  ),
);
const mix = CORPORA[0];
console.log(
  `  pipeline throughput (a)            ${Math.round((BATCHES * EVENTS) / (mix.pipeline.wall / 1000)).toLocaleString("en-US")} events/s (whole process, incl. start-up, wall time)`,
);
console.log(
  `  handler cold start loads           ${(size / 1024).toFixed(0)} KiB in ${loaded.size} files (${(gz / 1024).toFixed(0)} KiB gzipped; ${(onDemandSize / 1024).toFixed(0)} KiB more in ${onDemand.length} chunks on demand); bare SNS bundle ${(bareSize / 1024).toFixed(0)} KiB`,
);

// SNS requests per signal on a busy batch, against moto_server (a real SNS API on loopback).
async function snsFigure() {
  const { createServer } = await import("node:net");
  const { spawn } = await import("node:child_process");
  const port = await new Promise((ok) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const p = srv.address().port;
      srv.close(() => ok(p));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  moto.on("error", () => {});
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${endpoint}/moto-api/`);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const { SNSClient, CreateTopicCommand } = await import("@aws-sdk/client-sns");
    const sns = new SNSClient({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "netutil-bench" }));
    const busy = generateBusy(data, 250);
    const run = spawnSync(process.execPath, ["dist/cli.js", "invoke", busy], {
      cwd: root,
      env: {
        ...env,
        SNS_TOPIC_ARN: TopicArn,
        AWS_ENDPOINT_URL: endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const match = /(\d+) published in (\d+) SNS request/.exec(run.stderr);
    if (run.status !== 0 || !match) return `failed: ${run.stderr.slice(-300)}`;
    const [published, requests] = [Number(match[1]), Number(match[2])];
    return `${requests} PublishBatch requests for ${published} signals = ${(requests / published).toFixed(2)} per signal (target <= 0.10)`;
  } catch (error) {
    return `skipped (${error.message})`;
  } finally {
    moto.kill();
  }
}
console.log(`  SNS on a busy batch (moto)         ${await snsFigure()}`);

// The signal ledger's DynamoDB requests per signal and per group (bench/ledger.mjs, its own moto_server).
{
  const ledger = spawnSync(process.execPath, [join(root, "bench/ledger.mjs")], {
    cwd: root,
    env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const lines = ledger.stdout.split("\n").filter((line) => line.startsWith("  "));
  if (ledger.status !== 0 || lines.length === 0) {
    console.log(`  signal ledger (moto)               failed: ${ledger.stderr.slice(-300)}`);
  } else {
    console.log("signal ledger, DynamoDB requests (moto_server through a counting proxy):");
    for (const line of lines) console.log(line);
  }
}
