// `node bench/ledger.mjs` (after `npm run build`): DynamoDB requests the signal ledger makes per
// signal and per distinct group, against moto_server on loopback, through a counting proxy. The
// built handler runs in this process; importing it again under another URL is another container.
// Goal: at most 1 request per distinct group per invocation once a container has seen the group.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, request } from "node:http";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generate, generateBusy } from "./generate.mjs";

// The SDK's Node 20 deprecation notice is not a result.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const root = resolve(new URL("..", import.meta.url).pathname);
const data = join(root, "bench/.data");
if (!existsSync(join(root, "dist/handler.js"))) {
  console.error("bench: dist/handler.js is missing; run `npm run build` first");
  process.exit(1);
}

const freePort = () =>
  new Promise((ok) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const p = srv.address().port;
      srv.close(() => ok(p));
    });
  });

/** Forwards everything to moto; remembers each DynamoDB request's action and item key. */
function countingProxy(upstreamPort, port) {
  const seen = [];
  const server = createHttpServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const target = req.headers["x-amz-target"];
      if (typeof target === "string" && target.startsWith("DynamoDB_")) {
        const input = JSON.parse(body.toString("utf8"));
        seen.push({ action: target.split(".").pop(), key: input.Key?.pk?.S ?? input.Item?.pk?.S ?? "" });
      }
      const up = request(
        { host: "127.0.0.1", port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      up.end(body);
    });
  });
  return new Promise((ok) => server.listen(port, "127.0.0.1", () => ok({ server, seen })));
}

const motoPort = await freePort();
const moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(motoPort)], { stdio: "ignore" });
moto.on("error", (error) => {
  console.error(`bench: moto_server: ${error.message}`);
  process.exit(1);
});
const proxy = await countingProxy(motoPort, await freePort());
try {
  const motoUrl = `http://127.0.0.1:${motoPort}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${motoUrl}/moto-api/`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const client = {
    endpoint: motoUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  };
  const { SNSClient, CreateTopicCommand } = await import("@aws-sdk/client-sns");
  const { DynamoDBClient, CreateTableCommand } = await import("@aws-sdk/client-dynamodb");
  const sns = new SNSClient(client);
  const alerts = (await sns.send(new CreateTopicCommand({ Name: "bench-alerts" }))).TopicArn;
  const pager = (await sns.send(new CreateTopicCommand({ Name: "bench-pager" }))).TopicArn;
  await new DynamoDBClient(client).send(
    new CreateTableCommand({
      TableName: "bench-ledger",
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${proxy.server.address().port}`,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    SNS_TOPIC_ARN: alerts,
    PAGER_TOPIC_ARN: pager,
    LEDGER_TABLE: "bench-ledger",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  const { files } = generate(data, 10, 5000);
  const busy = generateBusy(data, 250);
  const events = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
  const busyEvent = JSON.parse(readFileSync(busy, "utf8"));

  let containers = 0;
  const container = async () =>
    (await import(`${pathToFileURL(join(root, "dist/handler.js")).href}?container=${++containers}`)).handler;

  /** Runs `batches` as invocations of `handler`; requests per signal and per distinct group per invocation. */
  const measure = async (label, handler, batches) => {
    let signals = 0;
    let requests = 0;
    let groups = 0;
    for (const event of batches) {
      const from = proxy.seen.length;
      const summary = await handler(event);
      const made = proxy.seen.slice(from);
      signals += summary.signals;
      requests += made.length;
      groups += new Set(made.map((r) => r.key).filter((k) => !k.startsWith("pages|"))).size;
    }
    const perSignal = (requests / signals).toFixed(2);
    const perGroup = (requests / groups).toFixed(2);
    console.log(
      `  ${label.padEnd(40)} ${requests} requests, ${signals} signals, ${groups} group-invocations: ${perSignal}/signal, ${perGroup}/group`,
    );
  };

  console.log("netutil-detector ledger benchmark — DynamoDB requests (moto_server, counting proxy)");
  const first = await container();
  await measure("10 batches, first sight (claims + pages)", first, events);
  await measure("same batches again, same container", first, events);
  const second = await container();
  await measure("same batches again, another container", second, events);
  await measure("busy batch (250 reverse shells), new", first, [busyEvent]);
  await measure("busy batch again, another container", second, [busyEvent]);
  const actions = {};
  for (const r of proxy.seen) actions[r.action] = (actions[r.action] ?? 0) + 1;
  console.log(`  requests by action                       ${JSON.stringify(actions)}`);
} finally {
  proxy.server.close();
  moto.kill();
}
