import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAwslogsEvent } from "../../src/ingest/encode.js";
import { loadShippedFixture, shippedBatch } from "../sources/shipped-fixtures.js";
import { type BundledHandler, loadBundledHandler } from "../support/bundled-handler.js";
import { type Moto, startMoto } from "../support/moto.js";
import { drain, drainSignals, type Subscribed, topicWithQueue } from "../support/sns-sqs.js";

function eventOf(name: string) {
  return encodeAwslogsEvent({ messageType: "DATA_MESSAGE", ...shippedBatch(loadShippedFixture(name)) });
}

// Forged records through the built bundle, with TRUSTED_SOURCES=default, publishing to SNS in moto_server.
describe("dist/handler.js with TRUSTED_SOURCES=default", () => {
  let moto: Moto;
  let alerts: Subscribed;
  let handler: BundledHandler;

  beforeAll(async () => {
    moto = await startMoto();
    alerts = await topicWithQueue(moto, "netutil-trust-alerts");
    handler = await loadBundledHandler(moto, {
      SNS_TOPIC_ARN: alerts.topicArn,
      MIN_SEVERITY: "low",
      TRUSTED_SOURCES: "default",
    });
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
    const received = await drainSignals(moto, alerts.queueUrl, 2);
    expect(received.map((s) => s.source.vouchedBy)).toEqual([
      "tetragon=*:*tetragon-*_kube-system_export-stdout-*",
      "tetragon=*:*tetragon-*_kube-system_export-stdout-*",
    ]);
    expect(received.map((s) => s.utility.name).sort()).toEqual(["curl", "wget"]);
  });
});
