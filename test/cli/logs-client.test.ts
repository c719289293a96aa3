import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogsClient, LOGS_CLIENT_LIMITS } from "../../src/cli/logs-client.js";

/** An endpoint that accepts connections and requests but never answers, like a stuck proxy. */
function hangingServer(): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request) => {
    requests.push(request.headers["x-amz-target"]?.toString() ?? "");
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}`, requests });
    });
  });
}

describe("createLogsClient", () => {
  let hanging: Awaited<ReturnType<typeof hangingServer>>;

  beforeAll(async () => {
    hanging = await hangingServer();
  });

  afterAll(() => {
    hanging.server.closeAllConnections();
    hanging.server.close();
    vi.unstubAllEnvs();
  });

  it("keeps the limits the CLI documents", () => {
    expect(LOGS_CLIENT_LIMITS).toEqual({
      connectionTimeoutMs: 1_000,
      requestTimeoutMs: 10_000,
      maxAttempts: 3,
    });
  });

  it("fails a request that never gets an answer after three timed-out attempts instead of hanging", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL", hanging.url);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "testing");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "testing");
    const logs = createLogsClient({ region: "us-east-1", requestTimeoutMs: 150 });
    const started = Date.now();

    const error = await logs.send(new DescribeLogGroupsCommand({})).then(
      () => null,
      (e: unknown) => e as Error & { $metadata?: { attempts?: number } },
    );

    expect(error?.name).toBe("TimeoutError");
    expect(error?.$metadata?.attempts).toBe(3);
    expect(hanging.requests).toEqual(Array(3).fill("Logs_20140328.DescribeLogGroups"));
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
