import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAwslogsEvent } from "../../src/ingest/encode.js";
import type { Signal } from "../../src/model.js";
import { loadShippedFixture, shippedBatch } from "../sources/shipped-fixtures.js";
import { ROOT } from "../support/cli.js";
import { type Moto, startMoto } from "../support/moto.js";
import { drain, type Envelope, type Subscribed, topicWithQueue } from "../support/sns-sqs.js";

type Handler = (event: unknown) => Promise<Record<string, unknown>>;

function eventOf(name: string) {
  return encodeAwslogsEvent({ messageType: "DATA_MESSAGE", ...shippedBatch(loadShippedFixture(name)) });
}

// Forged records through the built bundle, with TRUSTED_SOURCES=default, publishing to SNS in moto_server.
describe("dist/handler.js with TRUSTED_SOURCES=default", () => {
  let moto: Moto;
  let alerts: Subscribed;
  let handler: Handler;

  beforeAll(async () => {
    moto = await startMoto();
    alerts = await topicWithQueue(moto, "netutil-trust-alerts");
    Object.assign(process.env, moto.env, {
      SNS_TOPIC_ARN: alerts.topicArn,
      MIN_SEVERITY: "low",
      TRUSTED_SOURCES: "default",
      POWERTOOLS_METRICS_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    });
    ({ handler } = await import(pathToFileURL(`${ROOT}/dist/handler.js`).href));
  });
  afterAll(async () => {
    delete process.env.TRUSTED_SOURCES;
    await moto?.stop();
  });

  it("publishes nothing for a web app's forged Tetragon records, and counts them", async () => {
    const summary = await handler(eventOf("forged-app-lines"));

    expect(summary).toMatchObject({ logEvents: 4, execEvents: 0, signals: 0, parseErrors: 0, untrusted: 1 });
    expect(await drain(moto, alerts.queueUrl)).toEqual([]);
  });

  it("publishes the monitor's own stream, naming the entry that vouched for it", async () => {
    const summary = await handler(eventOf("tetragon-1.x-no-ancestors-chain"));

    expect(summary).toMatchObject({ signals: 2, published: 2 });
    const received = (await drain(moto, alerts.queueUrl, 2)).map(
      (body) => JSON.parse((JSON.parse(body) as Envelope).Message) as Signal,
    );
    expect(received.map((s) => s.source.vouchedBy)).toEqual([
      "tetragon=*:*tetragon-*_kube-system_export-stdout-*",
      "tetragon=*:*tetragon-*_kube-system_export-stdout-*",
    ]);
    expect(received.map((s) => s.utility.name).sort()).toEqual(["curl", "wget"]);
  });
});
