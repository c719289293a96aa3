import type { ExecEvent, LogContext, SourceParser } from "../model.js";
import { splitShellWords } from "../shell/index.js";
import {
  arrayField,
  compact,
  ecsClusterName,
  executableName,
  isObject,
  isoTime,
  type JsonObject,
  objectField,
  parseJsonObject,
  sourceRef,
  stringField,
} from "./fields.js";

function sniff(message: string): boolean {
  return message.includes("ExecuteCommand");
}

function isRecord(value: unknown): value is JsonObject {
  return isObject(value) && typeof value.eventSource === "string" && typeof value.eventName === "string";
}

function parse(message: string, ctx: LogContext): ExecEvent[] | null {
  try {
    const root = parseJsonObject(message);
    if (root === null) return null;
    // CloudTrail delivers one record per log event; a whole delivery file ({"Records": [...]}) also works.
    let records: JsonObject[];
    const detail = eventBridgeDetail(root);
    if (isRecord(root)) records = [root];
    else if (detail !== undefined) records = [detail];
    else {
      const list = arrayField(root, "Records");
      if (list === undefined) return null;
      records = list.filter(isRecord);
    }
    const events: ExecEvent[] = [];
    for (const record of records) {
      const event = toExecEvent(record, ctx);
      if (event !== undefined) events.push(event);
    }
    return events;
  } catch {
    return null;
  }
}

/**
 * The CloudTrail record of an EventBridge event (detail-type "AWS API Call via CloudTrail", renamed
 * "Amazon API Call via CloudTrail" in some partitions' docs) sent to a CloudWatch Logs target: the
 * envelope is `{version, id, detail-type, source, account, time, region, resources, detail}`.
 */
function eventBridgeDetail(root: JsonObject): JsonObject | undefined {
  const detail = objectField(root, "detail");
  if (!isRecord(detail)) return undefined;
  const type = stringField(root, "detail-type");
  return type?.endsWith("API Call via CloudTrail") || stringField(root, "source")?.startsWith("aws.")
    ? detail
    : undefined;
}

function toExecEvent(record: JsonObject, ctx: LogContext): ExecEvent | undefined {
  if (record.eventSource !== "ecs.amazonaws.com" || record.eventName !== "ExecuteCommand") return undefined;
  // A denied or failed call (errorCode set: AccessDenied, InvalidParameter, TargetNotConnected…)
  // started no session, so nothing ran in the container: not an execution. Denied attempts are a
  // matter for an IAM/CloudTrail rule, not for this one.
  if (record.errorCode !== undefined && record.errorCode !== null && record.errorCode !== "")
    return undefined;
  const request = objectField(record, "requestParameters");
  const response = objectField(record, "responseElements");
  const command = stringField(request, "command");
  if (command === undefined) return undefined;
  // ECS Exec hands the command string to the SSM agent, which splits it into words like a shell.
  const argv = splitShellWords(command);
  const first = argv[0];
  if (first === undefined) return undefined;
  const name = executableName(first) || first;

  const taskArn = stringField(response, "taskArn");
  const task = taskArn ?? stringField(request, "task");
  const clusterRef = stringField(request, "cluster") ?? stringField(response, "clusterArn");
  const cluster = ecsClusterName(clusterRef, task);
  const identity = objectField(record, "userIdentity");
  const sourceIp = stringField(record, "sourceIPAddress");

  return compact<ExecEvent>({
    process: compact({ name, path: first.includes("/") ? first : undefined, args: argv.slice(1) }),
    ancestors: [],
    container: compact({ name: stringField(response, "containerName") ?? stringField(request, "container") }),
    workload: compact({ platform: "ecs", cluster, task }),
    inContainer: true,
    viaExecSession: true,
    time: isoTime(ctx.timestamp, record.eventTime),
    source: sourceRef("cloudtrail-ecs-exec", ctx),
    sessionKey: stringField(objectField(response, "session"), "sessionId") ?? stringField(record, "eventID"),
    actor: compact({
      user: stringField(identity, "arn") ?? stringField(identity, "principalId"),
      sourceIPs: sourceIp !== undefined ? [sourceIp] : undefined,
      userAgent: stringField(record, "userAgent"),
    }),
  });
}

/** CloudTrail records of ECS `ExecuteCommand` (ECS Exec sessions): raw, in a delivery file, or via EventBridge. */
export const cloudtrailEcsExec: SourceParser = { format: "cloudtrail-ecs-exec", sniff, parse };
