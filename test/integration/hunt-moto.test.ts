import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HuntDeps, runHunt } from "../../src/cli/hunt/index.js";
import type { CliIO } from "../../src/cli/io.js";
import { loadConfig } from "../../src/config.js";
import type { LogBatch, Signal } from "../../src/model.js";
import { processBatch } from "../../src/pipeline.js";
import { groupKey } from "../../src/signals/group-key.js";
import { fixtureNames, loadMessage } from "../sources/fixtures.js";
import { CLI, ROOT } from "../support/cli.js";
import { createLedgerTable } from "../support/ledger-table.js";
import { MOTO_ACCOUNT, type Moto, motoClientConfig, startMoto } from "../support/moto.js";
import { drain, topicWithQueue } from "../support/sns-sqs.js";

const HOUR = 3_600_000;

/** Log groups and the fixtures (by name prefix) their streams carry, as a real account would hold them. */
const LAYOUT: { group: string; streams: string[]; formats: string[]; filler: number }[] = [
  {
    group: "/ecs/payments",
    streams: ["ecs/api/3f6c1a9e2b7d4c18", "ecs/api/9b0e5d7f1c2a4e63", "ecs/falco/7a1d2c3b4e5f6a70"],
    formats: ["falco-", "datadog-"],
    filler: 1000,
  },
  {
    group: "/ecs/orders",
    streams: ["ecs/worker/1c2d3e4f5a6b7c8d", "ecs/tetragon/0a9b8c7d6e5f4a3b"],
    formats: ["tetragon-"],
    filler: 1000,
  },
  {
    group: "/aws/eks/prod/cluster",
    streams: ["kube-apiserver-audit-6f1c2d3e4b5a6978"],
    formats: ["k8s-audit-"],
    filler: 1000,
  },
  {
    group: "/cloudtrail/org-trail",
    streams: ["123456789012_CloudTrail_us-east-1"],
    formats: ["cloudtrail-"],
    filler: 500,
  },
];

/** Application lines containers really write, including ones that mention a utility without running it. */
function fillerLine(i: number, stream: string): string {
  switch (i % 5) {
    case 0:
      return `2026-11-29T10:${String(i % 60).padStart(2, "0")}:07.412Z INFO  [http-nio-8080-exec-${i % 16}] c.e.p.PaymentController - POST /api/v1/payments 201 ${20 + (i % 80)}ms`;
    case 1:
      return JSON.stringify({
        level: "info",
        msg: "request completed",
        status: 200,
        path: "/healthz",
        duration_ms: i % 9,
        stream,
      });
    case 2:
      return `10.0.${i % 4}.${i % 250} - - [29/Nov/2026:10:00:${String(i % 60).padStart(2, "0")} +0000] "GET /healthz HTTP/1.1" 200 2 "-" "curl/8.4.0"`;
    case 3:
      return `level=warn ts=2026-11-29T10:00:00Z caller=retry.go:88 msg="upstream timeout, retrying" attempt=${i % 3}`;
    default:
      return `Connection to redis.internal:6379 re-established after ${i % 7} attempts`;
  }
}

interface Seeded {
  /** group -> stream -> events (chronological), within and outside the 24 h window. */
  events: Map<string, Map<string, { timestamp: number; message: string }[]>>;
  now: number;
}

async function putAll(
  logs: CloudWatchLogsClient,
  group: string,
  stream: string,
  events: { timestamp: number; message: string }[],
) {
  // PutLogEvents: at most 10,000 events and 1 MB (message bytes + 26 each) per call.
  let chunk: typeof events = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await logs.send(
      new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: chunk }),
    );
    chunk = [];
    bytes = 0;
  };
  for (const event of events) {
    const size = Buffer.byteLength(event.message) + 26;
    if (chunk.length >= 2000 || bytes + size > 900_000) await flush();
    chunk.push(event);
    bytes += size;
  }
  await flush();
}

async function seed(logs: CloudWatchLogsClient): Promise<Seeded> {
  const now = Date.now();
  const names = fixtureNames();
  const events: Seeded["events"] = new Map();
  for (const { group, streams, formats, filler } of LAYOUT) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    const perStream = new Map<string, { timestamp: number; message: string }[]>();
    events.set(group, perStream);
    const fixtures = names.filter((n) => formats.some((f) => n.startsWith(f)));
    for (const [s, stream] of streams.entries()) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
      const messages: string[] = [];
      for (let i = 0; i < filler; i++) messages.push(fillerLine(i, stream));
      // Each fixture once per stream, spread through the stream.
      fixtures.forEach((name, k) => {
        messages.splice(
          Math.floor(((k + 1) * messages.length) / (fixtures.length + 1)),
          0,
          loadMessage(name),
        );
      });
      // Spread over the last two hours; plus a few from three days ago, outside a 24 h window.
      const start = now - 2 * HOUR + s * 37;
      const step = Math.floor((2 * HOUR - 60_000) / messages.length);
      const list = messages.map((message, i) => ({ timestamp: start + i * step, message }));
      const old = [loadMessage(fixtures[0] ?? "tetragon-curl-tmp"), fillerLine(1, stream)].map(
        (message, i) => ({
          timestamp: now - 72 * HOUR + i,
          message,
        }),
      );
      const all = [...old, ...list];
      await putAll(logs, group, stream, all);
      perStream.set(stream, all);
    }
  }
  return { events, now };
}

/** What a signal says, without the moto-assigned event ids. */
function project(signal: Signal): string {
  const s = signal.source;
  return [
    s.logGroup,
    s.logStream,
    s.format,
    signal.process.name,
    signal.severity,
    signal.count,
    signal.title,
  ].join(" | ");
}

/** The pipeline over the same events, one batch per stream, as the oracle. */
function expectedSignals(seeded: Seeded, groups: string[], since: number, until: number): Signal[] {
  const { allowlist } = loadConfig({}, { requireTopic: false });
  const signals: Signal[] = [];
  for (const group of groups) {
    for (const [stream, events] of seeded.events.get(group) ?? []) {
      const batch: LogBatch = {
        owner: MOTO_ACCOUNT,
        logGroup: group,
        logStream: stream,
        subscriptionFilters: [],
        logEvents: events
          .filter((e) => e.timestamp >= since && e.timestamp < until)
          .map((e, i) => ({ id: `oracle-${i}`, ...e })),
      };
      signals.push(...processBatch(batch, { minSeverity: "medium", allowlist, region: "us-east-1" }).signals);
    }
  }
  return signals;
}

function countInWindow(seeded: Seeded, groups: string[], since: number, until: number): number {
  let n = 0;
  for (const group of groups) {
    for (const events of seeded.events.get(group)?.values() ?? []) {
      n += events.filter((e) => e.timestamp >= since && e.timestamp < until).length;
    }
  }
  return n;
}

interface Captured {
  code: number;
  signals: Signal[];
  stderr: string;
  summary: Record<string, unknown> & {
    totals: { events: number; signals: number };
    eventsPerSecond: number | null;
    groups: { logGroup: string; status: string }[];
    published: number;
  };
}

function captureIO(env: Record<string, string | undefined> = {}): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (line) => out.push(line),
    stderr: (text) => err.push(text),
    env,
    stderrIsTTY: false,
    now: () => Date.now(),
  };
}

describe("hunt against moto_server", () => {
  let moto: Moto;
  let logs: CloudWatchLogsClient;
  let seeded: Seeded;

  async function hunt(
    argv: string[],
    deps: HuntDeps = {},
    env: Record<string, string> = {},
  ): Promise<Captured> {
    const io = captureIO(env);
    const code = await runHunt([...argv, "--json-summary"], io, { logs, ...deps });
    const stderr = io.err.join("");
    const last = stderr.trimEnd().split("\n").pop() ?? "{}";
    return { code, signals: io.out.map((l) => JSON.parse(l) as Signal), stderr, summary: JSON.parse(last) };
  }

  function resumeToken(stderr: string): string {
    const match = /resume with: node dist\/cli\.js hunt --resume ([A-Za-z0-9_-]+)/.exec(stderr);
    expect(match, stderr).not.toBeNull();
    return match?.[1] ?? "";
  }

  beforeAll(async () => {
    moto = await startMoto();
    logs = new CloudWatchLogsClient(motoClientConfig(moto));
    seeded = await seed(logs);
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it("finds what the pipeline finds over a prefix's groups, only inside the window", async () => {
    const since = seeded.now - 24 * HOUR;

    const run = await hunt(["--prefix", "/ecs/", "--since", "24h"]);

    expect(run.code, run.stderr).toBe(0);
    const groups = ["/ecs/orders", "/ecs/payments"];
    expect(run.summary.groups.map((g) => [g.logGroup, g.status])).toEqual(groups.map((g) => [g, "done"]));
    const expected = expectedSignals(seeded, groups, since, Date.now());
    expect(expected.length).toBeGreaterThan(5);
    expect(run.signals.map(project).sort()).toEqual(expected.map(project).sort());
    expect(run.summary.totals.events).toBe(countInWindow(seeded, groups, since, Date.now()));
    expect(new Set(run.signals.map((s) => s.id)).size).toBe(run.signals.length);
    expect(run.signals.every((s) => s.source.owner === MOTO_ACCOUNT)).toBe(true);
    console.info(
      `hunt against moto: ${run.summary.totals.events} events, ${run.signals.length} signals, ` +
        `${Math.round(run.summary.eventsPerSecond ?? 0)} events/s`,
    );
  });

  it("points every signal at real log events that name the utility", async () => {
    const run = await hunt(["--log-group", "/ecs/orders", "--since", "24h"]);

    const page = await logs.send(new FilterLogEventsCommand({ logGroupName: "/ecs/orders" }));
    const byId = new Map((page.events ?? []).map((e) => [e.eventId, e]));
    expect(run.signals.length).toBeGreaterThan(0);
    for (const signal of run.signals) {
      for (const id of signal.source.eventIds) {
        const event = byId.get(id);
        expect(event?.logStreamName).toBe(signal.source.logStream);
        expect(event?.message).toContain(signal.utility.name);
      }
    }
    const curl = run.signals.find((s) => s.process.path === "/tmp/curl");
    expect(curl).toMatchObject({
      rule: { id: "net_util_in_container", technique: "T1105" },
      process: { name: "curl" },
      source: { format: "tetragon", logGroup: "/ecs/orders" },
    });
  });

  it("searches several named groups and prints the summary table", async () => {
    const io = captureIO();
    const since = seeded.now - 24 * HOUR;
    const groups = ["/aws/eks/prod/cluster", "/cloudtrail/org-trail"];

    const code = await runHunt(["--log-group", groups[0]!, "--log-group", groups[1]!, "--since", "24h"], io, {
      logs,
    });

    expect(code).toBe(0);
    const signals = io.out.map((l) => JSON.parse(l) as Signal);
    expect(signals.map(project).sort()).toEqual(
      expectedSignals(seeded, groups, since, Date.now()).map(project).sort(),
    );
    const err = io.err.join("");
    expect(err).toMatch(/log group\s+status\s+events\s+exec\s+low\s+medium\s+high\s+critical\s+signals/);
    expect(err).toMatch(/\/aws\/eks\/prod\/cluster\s+done\s+1,0\d\d\s/);
    expect(err).toMatch(
      new RegExp(`total\\s+[\\d,]+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+${signals.length}\\n`),
    );
    expect(err).toMatch(/elapsed \d+s · [\d,]+ events scanned in this run · [\d,]+ events\/s/);
  });

  it("stops at --until", async () => {
    const since = seeded.now - 24 * HOUR;
    const until = seeded.now - HOUR;

    const run = await hunt([
      "--log-group",
      "/ecs/orders",
      "--since",
      "24h",
      "--until",
      new Date(until).toISOString(),
    ]);

    expect(run.code).toBe(0);
    const total = countInWindow(seeded, ["/ecs/orders"], since, Date.now());
    expect(run.summary.totals.events).toBe(countInWindow(seeded, ["/ecs/orders"], since, until));
    expect(run.summary.totals.events).toBeLessThan(total * 0.6);
    expect(run.signals.map(project).sort()).toEqual(
      expectedSignals(seeded, ["/ecs/orders"], since, until).map(project).sort(),
    );
  });

  it("reports a missing group and still searches the others", async () => {
    const run = await hunt([
      "--log-group",
      "/ecs/does-not-exist",
      "--log-group",
      "/ecs/orders",
      "--since",
      "24h",
    ]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("log group not found: /ecs/does-not-exist");
    expect(run.summary.groups.map((g) => g.logGroup)).toEqual(["/ecs/orders"]);
  });

  /** A client that throttles every FilterLogEvents call after the first `pages`. */
  function throttlingAfter(pages: number): { client: CloudWatchLogsClient; calls: () => number } {
    let calls = 0;
    const client = new CloudWatchLogsClient(motoClientConfig(moto));
    const send = client.send.bind(client);
    client.send = ((command: unknown, options?: unknown) => {
      if (command instanceof FilterLogEventsCommand && ++calls > pages) {
        const error = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        return Promise.reject(error);
      }
      return (send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    }) as typeof client.send;
    return { client, calls: () => calls };
  }

  it("stops resumably when throttled, and the resume completes the hunt without duplicates", async () => {
    const args = ["--prefix", "/ecs/", "--since", "24h", "--limit", "400"];
    const full = await hunt(args);
    const throttled = throttlingAfter(3);
    const sleeps: number[] = [];

    const first = await hunt(args, {
      logs: throttled.client,
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 40 },
      sleep: async (ms) => void sleeps.push(ms),
    });
    const token = resumeToken(first.stderr);
    const second = await hunt(["--resume", token]);

    expect(full.code).toBe(0);
    expect(first.code).toBe(3);
    expect(first.stderr).toContain(
      "CloudWatch Logs kept throttling after 2 retries (ThrottlingException: Rate exceeded)",
    );
    expect(throttled.calls()).toBe(3 + 1 + 2);
    expect(sleeps).toHaveLength(2);
    expect(second.code, second.stderr).toBe(0);
    const union = [...first.signals, ...second.signals];
    expect(union.map((s) => s.id).sort()).toEqual(full.signals.map((s) => s.id).sort());
    expect(first.signals.length).toBeGreaterThan(0);
    expect(second.signals.length).toBeGreaterThan(0);
    expect(second.summary.totals).toEqual(full.summary.totals);
  });

  it("stops resumably on interrupt, between pages", async () => {
    const args = ["--prefix", "/ecs/", "--since", "24h", "--limit", "250"];
    const full = await hunt(args);
    const controller = new AbortController();
    let pages = 0;
    const client = new CloudWatchLogsClient(motoClientConfig(moto));
    const send = client.send.bind(client) as (c: unknown, o?: unknown) => Promise<unknown>;
    client.send = (async (command: unknown, options?: unknown) => {
      const result = await send(command, options);
      // Ctrl-C while the fifth page is on its way: that page is still processed, no later one.
      if (command instanceof FilterLogEventsCommand && ++pages === 5) controller.abort();
      return result;
    }) as typeof client.send;

    const first = await hunt(args, { logs: client, interrupt: controller.signal });
    const second = await hunt(["--resume", resumeToken(first.stderr)]);

    expect(first.code).toBe(130);
    expect(first.stderr).toContain("hunt stopped: interrupted");
    expect(pages).toBe(5);
    expect(second.code).toBe(0);
    const union = [...first.signals, ...second.signals].map((s) => s.id).sort();
    expect(union).toEqual(full.signals.map((s) => s.id).sort());
    expect(second.summary.totals).toEqual(full.summary.totals);
  });

  it("publishes with --publish", async () => {
    const { topicArn, queueUrl } = await topicWithQueue(moto, "hunt-alerts");
    const sns = new SNSClient(motoClientConfig(moto));

    const run = await hunt(
      ["--log-group", "/ecs/orders", "--since", "24h", "--publish"],
      { sns },
      { SNS_TOPIC_ARN: topicArn },
    );

    expect(run.code, run.stderr).toBe(0);
    expect(run.signals.length).toBeGreaterThan(0);
    expect(run.summary.published).toBe(run.signals.length);
    const bodies = await drain(moto, queueUrl, run.signals.length);
    expect(bodies).toHaveLength(run.signals.length);
  });

  it("honours the ledger with --publish: a replay does not republish what was already sent", async () => {
    const { topicArn, queueUrl } = await topicWithQueue(moto, "hunt-ledger-alerts");
    const sns = new SNSClient(motoClientConfig(moto));
    const dynamodb = await createLedgerTable(moto, "hunt-ledger");
    const args = ["--log-group", "/ecs/orders", "--since", "24h", "--publish"];
    const env = { SNS_TOPIC_ARN: topicArn, LEDGER_TABLE: "hunt-ledger" };

    const first = await hunt(args, { sns, dynamodb }, env);
    const replay = await hunt(args, { sns, dynamodb }, env);

    expect(first.code, first.stderr).toBe(0);
    const groups = new Set(first.signals.map(groupKey));
    expect(first.summary.published).toBe(groups.size);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.signals.length).toBe(first.signals.length);
    expect(replay.summary.published).toBe(0);
    const bodies = await drain(moto, queueUrl);
    expect(bodies).toHaveLength(groups.size);
  });

  it("stops with a resume token when signals cannot be published, printing none of that page", async () => {
    const sns = new SNSClient(motoClientConfig(moto));
    const missingTopic = `arn:aws:sns:us-east-1:${MOTO_ACCOUNT}:no-such-topic`;

    const run = await hunt(
      ["--log-group", "/ecs/orders", "--since", "24h", "--publish"],
      { sns },
      {
        SNS_TOPIC_ARN: missingTopic,
      },
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/hunt stopped: signals could not be published \(PublishError: /);
    expect(run.stderr).toMatch(/resume with: node dist\/cli\.js hunt --resume [A-Za-z0-9_-]+/);
    expect(run.signals).toEqual([]);
    expect(run.summary.totals.events).toBe(0);
  });

  it("reports a group that disappears during the hunt and goes on", async () => {
    const client = new CloudWatchLogsClient(motoClientConfig(moto));
    const send = client.send.bind(client) as (c: unknown, o?: unknown) => Promise<unknown>;
    client.send = ((command: unknown, options?: unknown) => {
      if (command instanceof FilterLogEventsCommand && command.input.logGroupName === "/ecs/orders") {
        const error = Object.assign(new Error("The specified log group does not exist."), {
          name: "ResourceNotFoundException",
        });
        return Promise.reject(error);
      }
      return send(command, options);
    }) as typeof client.send;

    const run = await hunt(["--prefix", "/ecs/", "--since", "24h"], { logs: client });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: log group not found while searching: /ecs/orders");
    expect(run.summary.groups.map((g) => [g.logGroup, g.status])).toEqual([
      ["/ecs/orders", "not found"],
      ["/ecs/payments", "done"],
    ]);
    expect(run.signals.length).toBeGreaterThan(0);
  });

  it("dist/cli.js: honours AWS_ENDPOINT_URL and prints a resume token on SIGINT", async () => {
    // npm test builds first; a missing bundle is a broken setup, not a reason to skip silently.
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` (npm test does it first)`).toBe(true);
    const child: ChildProcess = spawn(
      process.execPath,
      [CLI, "hunt", "--prefix", "/ecs/", "--since", "24h", "--limit", "50"],
      { cwd: ROOT, env: { ...process.env, ...moto.env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        // The first signal proves the hunt is running against moto: interrupt it.
        if (stdout === "") child.kill("SIGINT");
        stdout += chunk.toString();
      });
      child.on("exit", (status) => resolve(status));
    });

    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/resume with: node dist\/cli\.js hunt --resume [A-Za-z0-9_-]+/);
    expect(stdout.trim().split("\n").length).toBeGreaterThan(0);
  });
});
