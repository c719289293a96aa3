import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * A fault to inject into one request.
 * - `internal-error`: HTTP 500 InternalError, not forwarded.
 * - `throttle`: HTTP 400 `Throttling` ("Rate exceeded", what query-protocol services answer) by
 *   default; SNS's modelled ThrottledException is `{ status: 429, code: "Throttled" }`. Not forwarded.
 * - `hang`: never answers and never forwards; only the client's timeout ends the request.
 * - `reset`: destroys the connection without answering (ECONNRESET). Not forwarded.
 * - `error`: any other error answer, e.g. `{ status: 400, code: "InvalidInputException" }`. Not forwarded.
 * - `partial` (PublishBatch, BatchImportFindings): the first `count` entries of the request come
 *   back failed — in `Failed` with Code InternalError and SenderFault false (SNS), in
 *   `FailedFindings` with ErrorCode InternalException (Security Hub); `code` overrides. With
 *   `forward: false` (default) those entries are cut from the request before it reaches moto, so a
 *   failed entry was not stored. With `forward: true` they are stored and still reported failed —
 *   the ambiguous case where a retry sends the entry twice.
 * - `malformed` (BatchImportFindings only): forwarded with the first `count` findings' Resources
 *   emptied, so moto itself rejects them as invalid (FailedFindings ErrorCode InvalidInput).
 */
export type Fault =
  | { kind: "internal-error" }
  | { kind: "throttle"; status?: number; code?: string }
  | { kind: "error"; status: number; code: string; message?: string }
  | { kind: "hang" }
  | { kind: "reset" }
  | { kind: "partial"; count: number; forward?: boolean; code?: string }
  | { kind: "malformed"; count: number };

/** A loopback HTTP proxy in front of moto that injects scripted faults per API action. */
export interface FaultProxy {
  endpoint: string;
  port: number;
  /** Faults for the next requests of `action` (e.g. "PublishBatch"), one per request, in order. */
  enqueue(action: string, ...faults: Fault[]): void;
  /** A fault for every request of `action` once the queue is empty, until cleared. */
  persist(action: string, fault: Fault): void;
  /** Drops scripted faults and zeroes the counters. */
  reset(): void;
  /** Requests received per action, faulted or not. */
  readonly counts: Readonly<Record<string, number>>;
  /** Requests that got a fault, per action. */
  readonly faulted: Readonly<Record<string, number>>;
  /** Every PublishBatch request received: entry count and UTF-8 bytes of all Message + Subject values. */
  readonly publishBatches: readonly PublishBatchRecord[];
  /** Finding Ids moto accepted through BatchImportFindings, one per import, in order (repeats kept). */
  readonly importedFindings: readonly string[];
  close(): Promise<void>;
}

const SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

type Protocol = "query" | "json" | "rest-json";

/**
 * REST-JSON operations (Security Hub) by method and path, from the service model's `http` traits;
 * any other REST request is named by its method and path.
 */
const REST_ACTIONS: [method: string, path: RegExp, action: string][] = [
  ["POST", /^\/findings\/import\/?$/, "BatchImportFindings"],
  ["POST", /^\/findings\/?$/, "GetFindings"],
  ["PATCH", /^\/findings\/batchupdate\/?$/, "BatchUpdateFindings"],
];

/**
 * The API action and protocol: `X-Amz-Target` for JSON (SQS, EventBridge), form `Action=` for the
 * query protocol (SNS), else method and path for REST-JSON (Security Hub).
 */
function actionOf(req: IncomingMessage, body: string): { action: string; protocol: Protocol } {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return { action: target.split(".").pop() ?? target, protocol: "json" };
  const formAction = new URLSearchParams(body).get("Action");
  if (formAction) return { action: formAction, protocol: "query" };
  const method = req.method ?? "GET";
  const path = new URL(req.url ?? "/", "http://proxy").pathname;
  const rest = REST_ACTIONS.find(([m, pattern]) => m === method && pattern.test(path));
  return { action: rest?.[2] ?? `${method} ${path}`, protocol: "rest-json" };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/** Answers an AWS error the way the request's protocol expects it. */
function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  protocol: Protocol = typeof req.headers["x-amz-target"] === "string" ? "json" : "query",
) {
  const requestId = randomUUID();
  if (protocol === "json") {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": requestId });
    res.end(JSON.stringify({ __type: code, message }));
    return;
  }
  if (protocol === "rest-json") {
    // REST-JSON names the error in x-amzn-ErrorType; Security Hub's error shapes carry Code and Message.
    res.writeHead(status, {
      "content-type": "application/json",
      "x-amzn-requestid": requestId,
      "x-amzn-errortype": code,
    });
    res.end(JSON.stringify({ Code: code, Message: message }));
    return;
  }
  const type = status >= 500 ? "Receiver" : "Sender";
  res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
  res.end(
    `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

const MEMBER = /^PublishBatchRequestEntries\.member\.(\d+)\.(.+)$/;

/** Splits a PublishBatch form body into its entries (by member index, in order) and the rest. */
function splitEntries(body: string): { rest: [string, string][]; entries: [string, string][][] } {
  const rest: [string, string][] = [];
  const members = new Map<number, [string, string][]>();
  for (const [name, value] of new URLSearchParams(body)) {
    const match = MEMBER.exec(name);
    if (!match) {
      rest.push([name, value]);
      continue;
    }
    const index = Number(match[1]);
    const fields = members.get(index) ?? [];
    fields.push([match[2] ?? "", value]);
    members.set(index, fields);
  }
  const entries = [...members.entries()].sort(([a], [b]) => a - b).map(([, fields]) => fields);
  return { rest, entries };
}

function joinEntries(rest: [string, string][], entries: [string, string][][]): string {
  const params = new URLSearchParams(rest);
  entries.forEach((fields, i) => {
    for (const [field, value] of fields)
      params.append(`PublishBatchRequestEntries.member.${i + 1}.${field}`, value);
  });
  return params.toString();
}

function entryId(fields: [string, string][]): string {
  return fields.find(([field]) => field === "Id")?.[1] ?? "";
}

/** One PublishBatch request as it left the client: sizes, and each entry's Subject and Message. */
export interface PublishBatchRecord {
  entries: number;
  bytes: number;
  messages: { subject: string | undefined; message: string; structure: string | undefined }[];
}

function measure(body: string): PublishBatchRecord {
  const { entries } = splitEntries(body);
  let bytes = 0;
  const messages: PublishBatchRecord["messages"] = [];
  for (const fields of entries) {
    const get = (name: string) => fields.find(([field]) => field === name)?.[1];
    for (const [field, value] of fields) {
      if (field === "Message" || field === "Subject") bytes += Buffer.byteLength(value, "utf8");
    }
    messages.push({
      subject: get("Subject"),
      message: get("Message") ?? "",
      structure: get("MessageStructure"),
    });
  }
  return { entries: entries.length, bytes, messages };
}

type Member = Record<string, string>;

/** Reads the `<member>` children of one list element of a PublishBatch XML answer. */
function readMembers(xml: string, list: "Successful" | "Failed"): Member[] {
  const section = new RegExp(`<${list}>([\\s\\S]*?)</${list}>`).exec(xml)?.[1] ?? "";
  return [...section.matchAll(/<member>([\s\S]*?)<\/member>/g)].map((m) => {
    const member: Member = {};
    for (const field of (m[1] ?? "").matchAll(/<(\w+)>([^<]*)<\/\1>/g)) {
      member[field[1] ?? ""] = unescapeXml(field[2] ?? "");
    }
    return member;
  });
}

function writeMembers(members: Member[]): string {
  return members
    .map(
      (member) =>
        `<member>${Object.entries(member)
          .map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`)
          .join("")}</member>`,
    )
    .join("");
}

function publishBatchXml(successful: Member[], failed: Member[]): string {
  return (
    `<PublishBatchResponse xmlns="${SNS_XMLNS}"><PublishBatchResult>` +
    `<Successful>${writeMembers(successful)}</Successful><Failed>${writeMembers(failed)}</Failed>` +
    `</PublishBatchResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
    "</PublishBatchResponse>"
  );
}

function injectedFailure(id: string, code = "InternalError"): Member {
  return { Id: id, Code: code, Message: "injected by fault proxy", SenderFault: "false" };
}

type Finding = Record<string, unknown> & { Id?: string };
interface ImportAnswer {
  FailedCount?: number;
  SuccessCount?: number;
  FailedFindings?: { Id?: string; ErrorCode?: string; ErrorMessage?: string }[];
}

function findingsOf(body: string): { request: Record<string, unknown>; findings: Finding[] } {
  const request = JSON.parse(body || "{}") as Record<string, unknown>;
  return { request, findings: (request.Findings as Finding[] | undefined) ?? [] };
}

/**
 * Starts the proxy on a free 127.0.0.1 port in front of `upstream` (moto's endpoint).
 * Point the SDK client's `endpoint` at `proxy.endpoint`; close it in afterAll.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const queues = new Map<string, Fault[]>();
  const persistent = new Map<string, Fault>();
  const counts: Record<string, number> = {};
  const faulted: Record<string, number> = {};
  const publishBatches: PublishBatchRecord[] = [];
  const importedFindings: string[] = [];
  const sockets = new Set<Socket>();

  const forward = (
    req: IncomingMessage,
    body: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string" && name !== "content-length" && name !== "host") headers[name] = value;
      }
      headers["content-length"] = String(Buffer.byteLength(body));
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (upstreamRes) => {
          const chunks: Buffer[] = [];
          upstreamRes.on("data", (chunk: Buffer) => chunks.push(chunk));
          upstreamRes.on("end", () => {
            const out: Record<string, string> = {};
            for (const [name, value] of Object.entries(upstreamRes.headers)) {
              if (
                typeof value === "string" &&
                !["content-length", "connection", "transfer-encoding"].includes(name)
              ) {
                out[name] = value;
              }
            }
            resolve({
              status: upstreamRes.statusCode ?? 502,
              headers: out,
              body: Buffer.concat(chunks).toString("utf8"),
            });
          });
          upstreamRes.on("error", reject);
        },
      );
      upstreamReq.on("error", reject);
      upstreamReq.end(body);
    });

  /** Forwards a BatchImportFindings body and notes which of its findings moto accepted. */
  const forwardImport = async (req: IncomingMessage, body: string) => {
    const answer = await forward(req, body);
    if (answer.status === 200) {
      const failed = new Set(
        ((JSON.parse(answer.body) as ImportAnswer).FailedFindings ?? []).map((f) => f.Id),
      );
      for (const finding of findingsOf(body).findings) {
        if (!failed.has(finding.Id)) importedFindings.push(String(finding.Id));
      }
    }
    return answer;
  };

  const relay = async (req: IncomingMessage, res: ServerResponse, body: string, action: string) => {
    const answer =
      action === "BatchImportFindings" ? await forwardImport(req, body) : await forward(req, body);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };

  const partialImport = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
    fault: { count: number; forward?: boolean; code?: string },
  ) => {
    const { request, findings } = findingsOf(body);
    const failing = findings.slice(0, fault.count).map((f) => String(f.Id));
    const sent = fault.forward ? findings : findings.slice(fault.count);
    let answer: ImportAnswer = { FailedCount: 0, SuccessCount: 0, FailedFindings: [] };
    if (sent.length > 0) {
      const upstream = await forwardImport(req, JSON.stringify({ ...request, Findings: sent }));
      if (upstream.status !== 200) {
        res.writeHead(upstream.status, upstream.headers);
        res.end(upstream.body);
        return;
      }
      answer = JSON.parse(upstream.body) as ImportAnswer;
    }
    const failedFindings = [
      ...failing.map((Id) => ({
        Id,
        ErrorCode: fault.code ?? "InternalException",
        ErrorMessage: "injected by fault proxy",
      })),
      ...(answer.FailedFindings ?? []).filter((f) => !failing.includes(String(f.Id))),
    ];
    res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": randomUUID() });
    res.end(
      JSON.stringify({
        FailedCount: failedFindings.length,
        SuccessCount: findings.length - failedFindings.length,
        FailedFindings: failedFindings,
      }),
    );
  };

  const malformedImport = async (req: IncomingMessage, res: ServerResponse, body: string, count: number) => {
    const { request, findings } = findingsOf(body);
    const corrupted = findings.map((f, i) => (i < count ? { ...f, Resources: [] } : f));
    const answer = await forwardImport(req, JSON.stringify({ ...request, Findings: corrupted }));
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };

  const partial = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
    fault: { count: number; forward?: boolean; code?: string },
  ) => {
    const { rest, entries } = splitEntries(body);
    const failing = entries.slice(0, fault.count).map(entryId);
    const sent = fault.forward ? entries : entries.slice(fault.count);
    let successful: Member[] = [];
    let failed: Member[] = [];
    if (sent.length > 0) {
      const answer = await forward(req, joinEntries(rest, sent));
      if (answer.status !== 200) {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      }
      successful = readMembers(answer.body, "Successful");
      failed = readMembers(answer.body, "Failed");
    }
    successful = successful.filter((member) => !failing.includes(member.Id ?? ""));
    failed = [...failing.map((id) => injectedFailure(id, fault.code)), ...failed];
    res.writeHead(200, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() });
    res.end(publishBatchXml(successful, failed));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const { action, protocol } = actionOf(req, body);
    counts[action] = (counts[action] ?? 0) + 1;
    if (action === "PublishBatch") publishBatches.push(measure(body));
    const fault = queues.get(action)?.shift() ?? persistent.get(action);
    if (!fault) return await relay(req, res, body, action);
    faulted[action] = (faulted[action] ?? 0) + 1;
    switch (fault.kind) {
      case "internal-error":
        return sendError(
          req,
          res,
          500,
          // Security Hub's 500 is InternalException; the other services here say InternalError.
          protocol === "rest-json" ? "InternalException" : "InternalError",
          "Request could not be completed (injected)",
          protocol,
        );
      case "throttle":
        return sendError(
          req,
          res,
          fault.status ?? 400,
          fault.code ?? "Throttling",
          "Rate exceeded (injected)",
          protocol,
        );
      case "error":
        return sendError(req, res, fault.status, fault.code, fault.message ?? "(injected)", protocol);
      case "hang":
        return; // the socket stays open until the client gives up or the proxy closes
      case "reset":
        req.socket.destroy();
        return;
      case "partial":
        if (action === "BatchImportFindings") return await partialImport(req, res, body, fault);
        if (action !== "PublishBatch") return await relay(req, res, body, action);
        return await partial(req, res, body, fault);
      case "malformed":
        if (action !== "BatchImportFindings") return await relay(req, res, body, action);
        return await malformedImport(req, res, body, fault.count);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((error: unknown) => {
        if (!res.headersSent) sendError(req, res, 502, "ProxyError", String(error));
      });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    enqueue(action, ...faults) {
      queues.set(action, [...(queues.get(action) ?? []), ...faults]);
    },
    persist(action, fault) {
      persistent.set(action, fault);
    },
    reset() {
      queues.clear();
      persistent.clear();
      for (const key of Object.keys(counts)) delete counts[key];
      for (const key of Object.keys(faulted)) delete faulted[key];
      publishBatches.length = 0;
      importedFindings.length = 0;
    },
    counts,
    faulted,
    publishBatches,
    importedFindings,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
