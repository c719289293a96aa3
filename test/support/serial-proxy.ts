import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** A loopback proxy in front of moto that forwards one request at a time. */
export interface SerialProxy {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * DynamoDB applies a conditional write atomically per item; moto_server serves requests on threads
 * and checks a condition and writes the item in separate steps, so two racing writes can both pass
 * their condition. Passing moto one request at a time gives back the guarantee the ledger relies on,
 * while the callers still race for it. Point clients (or AWS_ENDPOINT_URL) at `endpoint`.
 */
export async function startSerialProxy(upstream: string): Promise<SerialProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  let queue: Promise<void> = Promise.resolve();

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => chunks.push(chunk));
          answer.on("end", () => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
            resolve();
          });
          answer.on("error", () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstreamReq.on("error", () => {
        res.destroy();
        resolve();
      });
      upstreamReq.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      queue = queue.then(() => forward(req, body, res));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
