import { describe, expect, it } from "vitest";
import { familyOf, unwrapEnvelope } from "../../src/sources/envelopes.js";

const RECORD = '{"process_exec":{"process":{"binary":"/usr/bin/curl"}}}';
const record = JSON.parse(RECORD) as Record<string, unknown>;

describe("unwrapEnvelope", () => {
  it.each([
    ["CRI", `2026-03-15T22:11:07.402113Z stdout F ${RECORD}`, "cri"],
    [
      "Docker json-file",
      JSON.stringify({ log: `${RECORD}\n`, stream: "stdout", time: "2026-03-15T22:11:07Z" }),
      "docker-json-file",
    ],
    [
      "FireLens",
      JSON.stringify({
        source: "stdout",
        log: RECORD,
        container_id: "abc",
        ecs_cluster: "c",
        ecs_task_arn: "arn:aws:ecs:us-east-1:1:task/c/1",
        ecs_task_definition: "app:7",
      }),
      "firelens",
    ],
    [
      "Fluent Bit log",
      JSON.stringify({ log: RECORD, stream: "stdout", kubernetes: { pod_name: "p" } }),
      "fluent-bit-kubernetes",
    ],
    [
      "Fluent Bit log_processed",
      JSON.stringify({ stream: "stdout", _p: "F", log_processed: record, kubernetes: { pod_name: "p" } }),
      "fluent-bit-kubernetes",
    ],
    [
      "Fluent Bit merged keys",
      JSON.stringify({ stream: "stdout", time: "t", ...record, kubernetes: { pod_name: "p" } }),
      "fluent-bit-kubernetes",
    ],
    [
      "EventBridge",
      JSON.stringify({
        version: "0",
        id: "1",
        "detail-type": "x",
        source: "y",
        account: "1",
        time: "t",
        region: "r",
        resources: [],
        detail: record,
      }),
      "eventbridge",
    ],
    [
      "a shipper's message",
      JSON.stringify({ message: RECORD, "@timestamp": 1773630765118 }),
      "shipper-message",
    ],
  ])("unwraps %s", (_label, message, envelope) => {
    const unwrapped = unwrapEnvelope(message);
    expect(unwrapped?.envelope).toBe(envelope);
    expect(JSON.parse(unwrapped?.text ?? "null")).toEqual(record);
  });

  it.each([
    ["an app's JSON line with the record in its message", JSON.stringify({ level: "info", message: RECORD })],
    ["an app's pino line", JSON.stringify({ level: 30, msg: RECORD, time: 1 })],
    ["a Docker record with an extra key", JSON.stringify({ log: RECORD, stream: "stdout", level: "info" })],
    [
      "a Fluent Bit record whose log is kept and the app added keys",
      JSON.stringify({ log: RECORD, kubernetes: {}, msg: "x" }),
    ],
    ["a CRI partial line", `2026-03-15T22:11:07.402113Z stdout P ${RECORD.slice(0, 20)}`],
    ["a Fluent Bit partial record", JSON.stringify({ log: RECORD, _p: "P", kubernetes: {} })],
    ["an EventBridge event without its envelope keys", JSON.stringify({ detail: record, source: "y" })],
    ["plain text", `INFO got ${RECORD}`],
    ["a record whose log is not a string", '{"log":["{}"],"stream":"stdout"}'],
  ])("does not unwrap %s", (_label, message) => {
    expect(unwrapEnvelope(message)).toBeUndefined();
  });

  it("reads FireLens metadata: cluster, task, family without revision, container", () => {
    const unwrapped = unwrapEnvelope(
      JSON.stringify({
        source: "stdout",
        log: RECORD,
        container_id: "e54cccfac2b8",
        container_name: "/ecs-demo-6-container2-a4eafbb3d4c7f1e16e00",
        ecs_cluster: "arn:aws:ecs:us-east-2:01234567891011:cluster/mycluster",
        ecs_task_arn: "arn:aws:ecs:us-east-2:01234567891011:task/mycluster/3de392df",
        ecs_task_definition: "demo:7",
        ecs_service: "web",
      }),
    );
    expect(unwrapped?.meta).toEqual({
      container: { id: "e54cccfac2b8", name: "ecs-demo-6-container2-a4eafbb3d4c7f1e16e00" },
      workload: {
        platform: "ecs",
        cluster: "mycluster",
        task: "arn:aws:ecs:us-east-2:01234567891011:task/mycluster/3de392df",
        family: "demo",
        service: "web",
      },
    });
  });

  it("reads the kubernetes filter's pod, container and string labels", () => {
    const unwrapped = unwrapEnvelope(
      JSON.stringify({
        log: RECORD,
        kubernetes: {
          pod_name: "p",
          namespace_name: "n",
          container_name: "c",
          docker_id: "d1",
          host: "h",
          labels: { app: "a", n: 1 },
        },
      }),
    );
    expect(unwrapped?.meta).toEqual({
      container: { id: "d1", name: "c" },
      workload: { namespace: "n", pod: "p", node: "h", labels: { app: "a" } },
    });
  });

  it.each([
    ["demo:7", "demo"],
    ["arn:aws:ecs:us-east-1:123456789012:task-definition/orders-api:14", "orders-api"],
    ["plain", "plain"],
  ])("takes the family of %s", (definition, family) => {
    expect(familyOf(definition)).toBe(family);
  });
});
