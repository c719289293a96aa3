import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A running moto_server on 127.0.0.1; `env` holds what the SDK and CLIs need to talk to it. */
export interface Moto {
  endpoint: string;
  port: number;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Credentials and region that moto accepts; never real ones. */
export const MOTO_REGION = "us-east-1";
export const MOTO_ACCOUNT = "123456789012";

/** Asks the kernel for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const start = Date.now();
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  while (Date.now() - start < deadlineMs) {
    if (exited) throw new Error("moto_server exited before it answered");
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${deadlineMs} ms`);
}

/**
 * Starts moto_server on a free loopback port and waits until it answers.
 * Call `stop()` in afterAll. Sets no global state: pass `moto.env` to child processes
 * or `endpoint` to SDK clients.
 */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: "true" },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitUntilUp(endpoint, child, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: "testing",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  return {
    endpoint,
    port,
    env,
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      });
    },
  };
}

/** SDK client configuration pointing at moto. */
export function motoClientConfig(moto: Moto) {
  return {
    endpoint: moto.endpoint,
    region: MOTO_REGION,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing", sessionToken: "testing" },
    maxAttempts: 1,
  };
}
