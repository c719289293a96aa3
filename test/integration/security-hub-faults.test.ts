import { GetFindingsCommand, SecurityHubClient } from "@aws-sdk/client-securityhub";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { PublishError } from "../../src/errors.js";
import type { Signal } from "../../src/model.js";
import { findingId } from "../../src/sinks/finding-id.js";
import { createSinks } from "../../src/sinks/index.js";
import { mixedSignals } from "../signals/signal-factory.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { MOTO_ACCOUNT, MOTO_REGION, type Moto, motoClientConfig, startMoto } from "../support/moto.js";

/**
 * The Security Hub sink through the fault proxy in front of moto_server (REST-JSON: POST
 * /findings/import): 5xx, throttling and FailedFindings are retried without losing or repeating a
 * finding; a finding Security Hub rejects as invalid fails the call with a PublishError naming it.
 * GetFindings goes to moto directly, after a reset, so it sees only the test's own findings.
 */
describe("Security Hub sink faults against moto lose nothing", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let direct: SecurityHubClient;
  let faulty: SecurityHubClient;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    direct = new SecurityHubClient(motoClientConfig(moto));
    // One attempt per send, so each fault costs the sink a round of its own retries.
    faulty = new SecurityHubClient({ ...motoClientConfig(moto), endpoint: proxy.endpoint });
  });
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });
  beforeEach(async () => {
    proxy.reset();
    const reset = await fetch(`${moto.endpoint}/moto-api/reset`, { method: "POST" });
    expect(reset.ok).toBe(true);
  });

  // The SNS topic only names the account (productArn); only Security Hub is driven.
  const config = {
    ...loadConfig(
      {
        AWS_REGION: MOTO_REGION,
        SECURITY_HUB: "true",
        SECURITY_HUB_MIN_SEVERITY: "low",
        SNS_TOPIC_ARN: `arn:aws:sns:${MOTO_REGION}:${MOTO_ACCOUNT}:unused`,
      },
      { requireTopic: false },
    ),
    snsTopicArn: undefined,
  };
  const deliverHub = (options: { maxRounds?: number } = {}) =>
    createSinks(config, { clients: { securityHub: faulty }, baseDelayMs: 1, ...options });

  /** Each signal of mixedSignals is a pod of its own: one group, one finding, per signal. */
  function signalsOfDistinctGroups(count: number, from: number): Signal[] {
    const signals = mixedSignals(count, from);
    expect(new Set(signals.map(findingId)).size).toBe(count);
    return signals;
  }

  async function storedFindingIds(): Promise<string[]> {
    const { Findings = [] } = await direct.send(new GetFindingsCommand({ MaxResults: 100 }));
    return Findings.map((f) => String(f.Id)).sort();
  }

  const groupsOf = (signals: readonly Signal[]) => signals.map(findingId).sort();

  it("a 500 and a 429 throttle are retried: one finding per group, each imported once", async () => {
    proxy.enqueue(
      "BatchImportFindings",
      { kind: "internal-error" },
      { kind: "throttle", status: 429, code: "TooManyRequestsException" },
    );
    const signals = signalsOfDistinctGroups(12, 100);

    const report = await deliverHub()(signals);

    expect(report).toMatchObject({ published: signals.length });
    expect(await storedFindingIds()).toEqual(groupsOf(signals));
    expect([...proxy.importedFindings].sort()).toEqual(groupsOf(signals));
    expect(proxy.faulted.BatchImportFindings).toBe(2);
    expect(proxy.counts.BatchImportFindings).toBe(3);
  });

  it("Security Hub's modelled throttle (LimitExceededException, 429) is retried like any other", async () => {
    proxy.enqueue(
      "BatchImportFindings",
      { kind: "throttle", status: 429, code: "LimitExceededException" },
      { kind: "throttle", status: 429, code: "LimitExceededException" },
    );
    const signals = signalsOfDistinctGroups(5, 200);

    await deliverHub()(signals);

    expect(await storedFindingIds()).toEqual(groupsOf(signals));
    expect([...proxy.importedFindings].sort()).toEqual(groupsOf(signals));
  });

  it("findings reported in FailedFindings are sent again, and only they", async () => {
    proxy.enqueue("BatchImportFindings", { kind: "partial", count: 3 });
    const signals = signalsOfDistinctGroups(12, 300);

    const report = await deliverHub()(signals);

    expect(report).toMatchObject({ published: signals.length, requests: 2 });
    expect(await storedFindingIds()).toEqual(groupsOf(signals));
    expect([...proxy.importedFindings].sort()).toEqual(groupsOf(signals));
    expect(proxy.counts.BatchImportFindings).toBe(2);
  });

  it("a finding imported yet reported failed is updated by the retry, not added twice", async () => {
    proxy.enqueue("BatchImportFindings", { kind: "partial", count: 2, forward: true });
    const signals = signalsOfDistinctGroups(6, 400);

    await deliverHub()(signals);

    // The two ambiguous findings reached Security Hub twice; the stable Id keeps one of each.
    expect(proxy.importedFindings).toHaveLength(signals.length + 2);
    expect(await storedFindingIds()).toEqual(groupsOf(signals));
  });

  it("a malformed finding is not retried: PublishError names its signal, the others are imported", async () => {
    proxy.enqueue("BatchImportFindings", { kind: "malformed", count: 2 });
    const signals = signalsOfDistinctGroups(8, 500);
    const [bad1, bad2, ...good] = signals as [Signal, Signal, ...Signal[]];

    const error = await deliverHub()(signals).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    const publishError = error as PublishError;
    expect(publishError.signalIds.sort()).toEqual([bad1.id, bad2.id].sort());
    expect(publishError.undelivered).toBe(2);
    // Which receiver, which code, and moto's own words about the finding.
    expect(publishError.message).toMatch(
      /^2 of 8 signals were not delivered to Security Hub \(InvalidInput: /,
    );
    expect(publishError.message).toContain("at least one resource");
    expect(proxy.counts.BatchImportFindings).toBe(1);
    expect(await storedFindingIds()).toEqual(groupsOf(good));
  });

  it("a request Security Hub rejects as invalid (400 InvalidInputException) fails at once, naming every signal", async () => {
    proxy.enqueue("BatchImportFindings", {
      kind: "error",
      status: 400,
      code: "InvalidInputException",
      message: "Findings must not be empty",
    });
    const signals = signalsOfDistinctGroups(4, 600);

    const error = await deliverHub()(signals).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).signalIds.sort()).toEqual(signals.map((s) => s.id).sort());
    expect((error as PublishError).message).toContain("InvalidInputException");
    expect(proxy.counts.BatchImportFindings).toBe(1);
    expect(await storedFindingIds()).toEqual([]);
  });

  it("Security Hub failing every round makes the call throw PublishError naming every signal", async () => {
    proxy.persist("BatchImportFindings", { kind: "internal-error" });
    const signals = signalsOfDistinctGroups(3, 700);

    const error = await deliverHub({ maxRounds: 2 })(signals).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).signalIds.sort()).toEqual(signals.map((s) => s.id).sort());
    expect((error as PublishError).message).toContain("InternalException");
    expect(proxy.counts.BatchImportFindings).toBe(3);
    expect(await storedFindingIds()).toEqual([]);
  });
});
