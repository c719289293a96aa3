import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Moto, motoClientConfig, startMoto } from "./moto.js";

describe("moto_server helper", () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });

  it("serves the SNS API on loopback", async () => {
    const sns = new SNSClient(motoClientConfig(moto));
    const topics = await sns.send(new ListTopicsCommand({}));
    expect(topics.Topics ?? []).toEqual([]);
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
