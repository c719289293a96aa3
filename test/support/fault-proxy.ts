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
 * - `partial` (PublishBatch only): the first `count` entries of the request come back in `Failed`
 *   with Code InternalError and SenderFault false. With `forward: false` (default) those entries
 *   are cut from the request before it reaches moto, so SNS semantics hold: a failed entry was not
 *   published. With `forward: true` they are published and still reported failed — the ambiguous
 *   case where a retry duplicates the message.
 */
export type Fault =
  | { kind: "internal-error" }
  | { kind: "throttle"; status?: number; code?: string }
  | { kind: "hang" }
  | { kind: "reset" }
  | { kind: "partial"; count: number; forward?: boolean };

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
  close(): Promise<void>;
}

const SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

/** The API action: form `Action=` for the query protocol (SNS), `X-Amz-Target` for JSON (SQS). */
function actionOf(req: IncomingMessage, body: string): string {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return target.split(".").pop() ?? target;
  return new URLSearchParams(body).get("Action") ?? "Unknown";
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
function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string) {
  const requestId = randomUUID();
  if (typeof req.headers["x-amz-target"] === "string") {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": requestId });
    res.end(JSON.stringify({ __type: code, message }));
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

function injectedFailure(id: string): Member {
  return { Id: id, Code: "InternalError", Message: "injected by fault proxy", SenderFault: "false" };
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

  const relay = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const answer = await forward(req, body);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };

  const partial = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
    fault: { count: number; forward?: boolean },
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
    failed = [...failing.map(injectedFailure), ...failed];
    res.writeHead(200, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() });
    res.end(publishBatchXml(successful, failed));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const action = actionOf(req, body);
    counts[action] = (counts[action] ?? 0) + 1;
    if (action === "PublishBatch") publishBatches.push(measure(body));
    const fault = queues.get(action)?.shift() ?? persistent.get(action);
    if (!fault) return await relay(req, res, body);
    faulted[action] = (faulted[action] ?? 0) + 1;
    switch (fault.kind) {
      case "internal-error":
        return sendError(req, res, 500, "InternalError", "Request could not be completed (injected)");
      case "throttle":
        return sendError(
          req,
          res,
          fault.status ?? 400,
          fault.code ?? "Throttling",
          "Rate exceeded (injected)",
        );
      case "hang":
        return; // the socket stays open until the client gives up or the proxy closes
      case "reset":
        req.socket.destroy();
        return;
      case "partial":
        if (action !== "PublishBatch") return await relay(req, res, body);
        return await partial(req, res, body, fault);
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
    },
    counts,
    faulted,
    publishBatches,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
